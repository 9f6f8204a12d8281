/**
 * Shared by the metrics benchmarks: a PostgreSQL of their own, the built
 * worker, and a generated workspace (by default ≥ 1,000,000 messages over
 * 90 days), made with generate_series in SQL so that it takes seconds.
 */
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { ROOT, WORKER, startTestServer } from './bench-support';

export const TEAM = 'TBENCH0001';
export const DAYS = 90;
export const FIRST_DAY = '2025-01-01';

export interface BenchPostgres {
  url: string;
  stop(): Promise<void>;
}

/** The test suite's throwaway server, with one database. */
export async function startPostgres(): Promise<BenchPostgres> {
  const server = await startTestServer('slack-metrics-bench');
  const admin = new Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  return { url: server.url('bench'), stop: () => server.stop() };
}

export function runWorker(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string; wallMs: number }> {
  const started = performance.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env }, cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolveRun({ code, output, wallMs: performance.now() - started }));
  });
}

/** How many members and channels a generated workspace has; both benchmarks of 90 days use the defaults. */
export interface WorkspaceShape {
  members: number;
  channels: number;
}

export const DEFAULT_SHAPE: WorkspaceShape = { members: 2000, channels: 200 };

/** One member in 25 belongs to another team (Slack Connect), one in 20 is a guest; neither draws a random number. */
const EXTERNAL_EVERY = 25;
const GUEST_EVERY = 20;
const EXTERNAL_TEAM = 'TBEXTERN';

/** The other team of an external member's id, as their profile and their messages carry it; NULL for everyone else. */
function externalTeamOf(userId: string): string {
  return `CASE WHEN ${userId} ~ '^UB[0-9]{5}$' AND substr(${userId}, 3)::int % ${EXTERNAL_EVERY} = ${EXTERNAL_EVERY - 1} THEN '${EXTERNAL_TEAM}' END`;
}

/**
 * Top-level messages spread over the days with a heavy-tailed choice of
 * author (a few members post most), mostly in each member's few home
 * channels; the shape's channels and members (2,000 and 200 by default;
 * replies need at least as many members as channels) plus 20 bot users and Slackbot,
 * system subtypes and deletions; about 30% of the volume are thread replies
 * by channel members minutes to two days after their parent; 30% of
 * messages carry reactions. updated_at is an hour in the past, as for
 * history collected earlier.
 */
export async function generateMessages(
  client: Client,
  options: { topLevel: number; replies: number; firstDay: string; days: number; seed: number; shape?: WorkspaceShape },
): Promise<void> {
  const { members, channels } = options.shape ?? DEFAULT_SHAPE;
  // A channel's own members: the 1 in `channels` members whose home it is, found as (channel * 143) mod channels + channels * k.
  const membersPerChannel = Math.floor(members / channels);
  await client.query('SELECT setseed($1)', [options.seed]);
  // Members mostly post in a few "home" channels (member u's are (7u + 0..2) mod channels); one post in five goes anywhere.
  await client.query(
    `
    CREATE TEMPORARY TABLE new_parents AS
    SELECT n, member, channel,
           'CB' || lpad(channel::text, 4, '0') AS channel_id,
           (floor(extract(epoch FROM $1::date::timestamptz) + random() * $2 * 86400))::bigint AS seconds,
           CASE WHEN random() < 0.01 THEN 'UBOT' || lpad(floor(random() * 20)::text, 4, '0')
                WHEN random() < 0.005 THEN 'USLACKBOT'
                ELSE 'UB' || lpad(member::text, 5, '0') END AS user_id,
           CASE WHEN random() < 0.03 THEN 'channel_join' WHEN random() < 0.02 THEN 'bot_message' WHEN random() < 0.02 THEN 'file_share' END AS subtype
    FROM (
      SELECT n, member, CASE WHEN random() < 0.8 THEN (member * 7 + floor(random() * 3)::int) % $5 ELSE floor(random() * $5)::int END AS channel
      FROM (SELECT n, floor($4 * power(random(), 3))::int AS member FROM generate_series(1, $3::int) AS n) members
    ) placed`,
    [options.firstDay, options.days, options.topLevel, members, channels],
  );
  await client.query(`ALTER TABLE new_parents ADD COLUMN ts text`);
  await client.query(`UPDATE new_parents SET ts = seconds::text || '.' || lpad((n % 1000000)::text, 6, '0')`);
  // Replies come from the channel's own members (the members whose home it is), minutes to two days later.
  await client.query(
    `
    CREATE TEMPORARY TABLE new_replies AS
    SELECT r, p.channel, p.channel_id, p.ts AS thread_ts,
           p.seconds + floor(CASE WHEN random() < 0.8 THEN random() * 3600 ELSE random() * 172800 END)::bigint AS seconds,
           'UB' || lpad(((p.channel * 143) % $3 + $3 * floor(random() * $4)::int)::text, 5, '0') AS user_id
    FROM (SELECT r, 1 + floor(random() * $2::int)::int AS parent FROM generate_series(1, $1::int) AS r) picked
    JOIN new_parents p ON p.n = picked.parent AND p.subtype IS NULL`,
    [options.replies, options.topLevel, channels, membersPerChannel],
  );
  const insert = (source: string) => `
    INSERT INTO messages (channel_id, ts, team_id, user_id, author_team_id, bot_id, thread_ts, subtype, posted_at, is_bot, reply_count,
                          reaction_count, reactions, reactors, deleted_at, source, updated_at)
    SELECT channel_id, ts, '${TEAM}', user_id, ${externalTeamOf('user_id')}, bot_id, thread_ts, subtype, to_timestamp(ts::numeric), bot_id IS NOT NULL, 0,
           coalesce(array_length(reactors, 1), 0),
           CASE WHEN reactors IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object('name', '+1', 'count', array_length(reactors, 1), 'users', to_jsonb(reactors))) END,
           coalesce(reactors, '{}'), CASE WHEN random() < 0.01 THEN to_timestamp(ts::numeric) END, 'collect', now() - interval '1 hour'
    FROM (${source}) generated
    ON CONFLICT DO NOTHING`;
  // Reactions on 30% of messages, by one to three of the channel's members.
  const reactors = `CASE WHEN random() < 0.3 THEN ARRAY(
      SELECT DISTINCT 'UB' || lpad(((channel * 143) % ${channels} + ${channels} * floor(random() * ${membersPerChannel})::int)::text, 5, '0')
      FROM generate_series(1, 1 + floor(random() * 3)::int) AS pick WHERE pick > 0 AND channel IS NOT NULL) END`;
  // In posting order, as collection and imports write them: a day's messages sit together on disk.
  await client.query(
    insert(`
    SELECT channel_id, ts, user_id, bot_id, thread_ts, subtype, ${reactors} AS reactors
    FROM (
      SELECT channel, channel_id, seconds, ts, user_id, CASE WHEN subtype = 'bot_message' THEN 'BBENCH' END AS bot_id,
             CASE WHEN random() < 0.25 THEN ts END AS thread_ts, subtype
      FROM new_parents
      UNION ALL
      SELECT channel, channel_id, seconds, seconds::text || '.' || lpad((r % 1000000)::text, 6, '0'), user_id, NULL, thread_ts, NULL
      FROM new_replies
    ) posted
    ORDER BY seconds`),
  );
  await client.query('DROP TABLE new_parents, new_replies');
}

/** How much a generated workspace holds: the 90-day benchmarks' by default. */
export interface WorkspaceSize extends WorkspaceShape {
  topLevel: number;
  replies: number;
  days: number;
}

export const DEFAULT_SIZE: WorkspaceSize = { ...DEFAULT_SHAPE, topLevel: 760_000, replies: 300_000, days: DAYS };

/** The workspace over `size.days` days from `firstDay`. */
export async function generateWorkspace(url: string, firstDay = FIRST_DAY, size: WorkspaceSize = DEFAULT_SIZE): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO workspaces (id, name) VALUES ('${TEAM}', 'Bench')`);
    await client.query(
      `INSERT INTO channels (id, team_id, name, member_count) SELECT 'CB' || lpad(n::text, 4, '0'), '${TEAM}', 'channel-' || n, 50 FROM generate_series(0, $1::int - 1) n`,
      [size.channels],
    );
    await client.query(
      `
      INSERT INTO users (id, team_id, name, is_bot, is_restricted, tz)
      SELECT id, coalesce(${externalTeamOf('id')}, '${TEAM}'), 'member-' || n, false, n % ${GUEST_EVERY} = ${GUEST_EVERY - 1},
             (ARRAY['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'America/Los_Angeles', 'Europe/London'])[1 + n % 5]
      FROM (SELECT n, 'UB' || lpad(n::text, 5, '0') AS id FROM generate_series(0, $1::int - 1) n) members
      UNION ALL SELECT 'UBOT' || lpad(n::text, 4, '0'), '${TEAM}', 'bot-' || n, true, false, NULL FROM generate_series(0, 19) n
      UNION ALL SELECT 'USLACKBOT', '${TEAM}', 'slackbot', false, false, NULL`,
      [size.members],
    );
    await generateMessages(client, { topLevel: size.topLevel, replies: size.replies, firstDay, days: size.days, seed: 0.42, shape: size });
    await client.query('VACUUM ANALYZE');
    const [{ count }] = (await client.query('SELECT count(*)::int AS count FROM messages')).rows;
    return count;
  } finally {
    await client.end();
  }
}
