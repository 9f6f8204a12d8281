/**
 * Aggregation benchmark. On a generated workspace of ≥ 1,000,000 messages
 * over 90 days, in one run against one PostgreSQL:
 *  - a single hand-written SQL GROUP BY producing the per-channel-day counts
 *    (messages, human messages, thread replies, threads started, reactions),
 *    one producing each member's first active day per workspace, and the
 *    audience split's columns: each thread's starter with their team, each
 *    member day's author team;
 *  - `worker aggregate --full`, which builds those and every other rollup;
 *  - after one new day of data, an incremental `worker aggregate`.
 * Targets: full ≤ 2 × the GROUP BY, incremental ≤ 2 s. Exit code 1 if missed.
 *
 *   npm run build
 *   npx tsc -p bench/tsconfig.metrics.json
 *   node dist/bench/bench/aggregate.js [--repeat 2]
 *
 * Times of the worker runs are the run's own duration_ms (lock taken to
 * commit, as recorded in aggregation_runs); process start-up is shown apart.
 */
import { Client } from 'pg';
import { argument } from './bench-support';
import { DAYS, FIRST_DAY, generateMessages, generateWorkspace, runWorker, startPostgres } from './metrics-dataset';

const TARGET_FULL_RATIO = 2;
const TARGET_INCREMENTAL_MS = 2000;

/** A message the metrics count: not deleted, and of a subtype people post. */
function counted(alias: string): string {
  return `${alias}.deleted_at IS NULL AND (${alias}.subtype IS NULL OR ${alias}.subtype IN ('thread_broadcast', 'file_share', 'me_message', 'bot_message'))`;
}

/** A message by a bot (the author's profile joined as `u`). */
function bot(alias: string): string {
  return `coalesce(${alias}.subtype = 'bot_message' OR ${alias}.bot_id IS NOT NULL OR ${alias}.user_id = 'USLACKBOT' OR u.is_bot, false)`;
}

/** The baseline: what a person would write to get per-channel-day counts in one statement. */
const HAND_WRITTEN_GROUP_BY = `
  SELECT m.channel_id, (m.posted_at AT TIME ZONE 'UTC')::date AS day,
         count(*) AS messages,
         count(*) FILTER (WHERE NOT ${bot('m')}) AS human_messages,
         count(*) FILTER (WHERE m.thread_ts IS NOT NULL AND m.thread_ts <> m.ts) AS thread_replies,
         count(*) FILTER (WHERE (m.thread_ts IS NULL OR m.thread_ts = m.ts) AND EXISTS (
           SELECT 1 FROM messages r
           WHERE r.channel_id = m.channel_id AND r.thread_ts = m.ts AND r.ts <> m.ts AND ${counted('r')})) AS threads_started,
         sum(m.reaction_count) AS reactions
  FROM messages m
  LEFT JOIN users u ON u.id = m.user_id
  WHERE ${counted('m')}
  GROUP BY 1, 2`;

/** The baseline of member_first_days: each human's first day of posting or reacting, per workspace. */
const HAND_WRITTEN_FIRST_DAYS = `
  SELECT m.team_id, who.user_id, min((m.posted_at AT TIME ZONE 'UTC')::date) AS first_day
  FROM messages m
  LEFT JOIN users u ON u.id = m.user_id
  CROSS JOIN LATERAL (
    SELECT m.user_id WHERE NOT ${bot('m')}
    UNION ALL
    SELECT jsonb_array_elements_text(reaction -> 'users') FROM jsonb_array_elements(CASE WHEN m.reaction_count > 0 THEN m.reactions END) reaction
  ) who(user_id)
  WHERE ${counted('m')}
    AND who.user_id IS NOT NULL AND who.user_id <> 'USLACKBOT' AND NOT EXISTS (SELECT 1 FROM users b WHERE b.id = who.user_id AND b.is_bot)
  GROUP BY 1, 2`;

/** The baseline of the audience split's rollup columns: who started each thread with a reply, with their message's team. */
const HAND_WRITTEN_THREAD_STARTERS = `
  SELECT p.channel_id, p.ts AS thread_ts,
         CASE WHEN NOT ${bot('p')} THEN p.user_id END AS starter_user_id,
         CASE WHEN NOT ${bot('p')} THEN p.author_team_id END AS starter_team_id
  FROM messages p
  LEFT JOIN users u ON u.id = p.user_id
  WHERE ${counted('p')} AND (p.thread_ts IS NULL OR p.thread_ts = p.ts) AND EXISTS (
    SELECT 1 FROM messages r
    WHERE r.channel_id = p.channel_id AND r.thread_ts = p.ts AND r.ts <> p.ts AND ${counted('r')})`;

/** ... and the team each member's messages of a day carry (the least one). */
const HAND_WRITTEN_AUTHOR_TEAMS = `
  SELECT m.team_id, m.user_id, (m.posted_at AT TIME ZONE 'UTC')::date AS day, min(m.author_team_id) AS author_team_id
  FROM messages m
  LEFT JOIN users u ON u.id = m.user_id
  WHERE ${counted('m')} AND NOT ${bot('m')} AND m.user_id IS NOT NULL
  GROUP BY 1, 2, 3`;

const BASELINES = {
  'channel days': HAND_WRITTEN_GROUP_BY,
  'first days': HAND_WRITTEN_FIRST_DAYS,
  'thread starters': HAND_WRITTEN_THREAD_STARTERS,
  'author teams': HAND_WRITTEN_AUTHOR_TEAMS,
};

async function timeBaseline(client: Client): Promise<{ ms: number; rows: number; split: string }> {
  await client.query('BEGIN');
  // The same memory the aggregation grants itself, so neither spills where the other does not.
  await client.query(`SET LOCAL work_mem = '64MB'`);
  let ms = 0;
  let rows = 0;
  const split: string[] = [];
  for (const [name, sql] of Object.entries(BASELINES)) {
    const started = performance.now();
    const result = await client.query(sql);
    const took = performance.now() - started;
    ms += took;
    if (sql === HAND_WRITTEN_GROUP_BY) rows = result.rowCount ?? 0;
    split.push(`${name} ${took.toFixed(0)}`);
  }
  await client.query('COMMIT');
  return { ms, rows, split: split.join(', ') };
}

async function lastRun(client: Client): Promise<{ mode: string; days: number; rows: number; duration_ms: number; status: string }> {
  return (await client.query('SELECT mode, days, rows, duration_ms, status FROM aggregation_runs ORDER BY id DESC LIMIT 1')).rows[0];
}

async function main(): Promise<void> {
  const repeat = argument('--repeat', 2);
  const postgres = await startPostgres();
  const env = { DATABASE_URL: postgres.url, METRICS_TIMEZONE: 'UTC' };
  const client = new Client({ connectionString: postgres.url });
  try {
    if ((await runWorker(['migrate'], env)).code !== 0) throw new Error('migrate failed');
    let started = performance.now();
    const messages = await generateWorkspace(postgres.url);
    console.log(
      `dataset: ${messages} messages over ${DAYS} days, 200 channels, 2,021 users (generated in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    await client.connect();

    const baselines: number[] = [];
    const fulls: Array<{ runMs: number; wallMs: number }> = [];
    for (let round = 0; round < repeat; round++) {
      const baseline = await timeBaseline(client);
      baselines.push(baseline.ms);
      const full = await runWorker(['aggregate', '--full'], env);
      if (full.code !== 0) throw new Error(`aggregate --full failed:\n${full.output}`);
      const run = await lastRun(client);
      fulls.push({ runMs: run.duration_ms, wallMs: full.wallMs });
      console.log(
        `round ${round + 1}: GROUP BY ${baseline.ms.toFixed(0)} ms (${baseline.rows} channel-days; ${baseline.split}); full aggregation ${run.duration_ms} ms (${run.rows} rollup rows; process ${full.wallMs.toFixed(0)} ms)`,
      );
    }
    // Same counts as the baseline: the per-channel-day rollup is the GROUP BY's result.
    const mismatches = (
      await client.query(`
      SELECT count(*)::int AS n FROM (${HAND_WRITTEN_GROUP_BY}) b
      FULL JOIN channel_day_rollups r ON r.channel_id = b.channel_id AND r.day = b.day
      WHERE r.messages IS DISTINCT FROM b.messages::int OR r.human_messages IS DISTINCT FROM b.human_messages::int
         OR r.thread_replies IS DISTINCT FROM b.thread_replies::int OR r.threads_started IS DISTINCT FROM b.threads_started::int
         OR r.reactions IS DISTINCT FROM b.reactions::int`)
    ).rows[0].n;
    if (mismatches !== 0) throw new Error(`${mismatches} channel-days differ between the rollup and the GROUP BY`);
    const firstDayMismatches = (
      await client.query(`
      SELECT count(*)::int AS n FROM (${HAND_WRITTEN_FIRST_DAYS}) b
      FULL JOIN member_first_days r ON r.team_id = b.team_id AND r.user_id = b.user_id
      WHERE r.first_day IS DISTINCT FROM b.first_day`)
    ).rows[0].n;
    if (firstDayMismatches !== 0) throw new Error(`${firstDayMismatches} first active days differ between the rollup and the GROUP BY`);
    const starterMismatches = (
      await client.query(`
      SELECT count(*)::int AS n FROM (${HAND_WRITTEN_THREAD_STARTERS}) b
      FULL JOIN thread_rollups r ON r.channel_id = b.channel_id AND r.thread_ts = b.thread_ts
      WHERE r.starter_user_id IS DISTINCT FROM b.starter_user_id OR r.starter_team_id IS DISTINCT FROM b.starter_team_id`)
    ).rows[0].n;
    if (starterMismatches !== 0) throw new Error(`${starterMismatches} thread starters differ between the rollup and the GROUP BY`);
    const authorTeamMismatches = (
      await client.query(`
      SELECT count(*)::int AS n FROM (${HAND_WRITTEN_AUTHOR_TEAMS}) b
      JOIN member_day_rollups r ON r.team_id = b.team_id AND r.user_id = b.user_id AND r.day = b.day
      WHERE r.author_team_id IS DISTINCT FROM b.author_team_id`)
    ).rows[0].n;
    if (authorTeamMismatches !== 0)
      throw new Error(`${authorTeamMismatches} member days' author teams differ between the rollup and the GROUP BY`);

    // One more day: new messages and their replies (some landing the next day), and late reactions on five older messages.
    const nextDay = new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + DAYS * 86_400_000).toISOString().slice(0, 10);
    started = performance.now();
    await generateMessages(client, { topLevel: 8_500, replies: 3_300, firstDay: nextDay, days: 1, seed: 0.77 });
    await client.query(`UPDATE messages SET updated_at = now() WHERE posted_at >= $1::date`, [nextDay]);
    await client.query(
      `
      UPDATE messages SET reactions = reactions || '[{"name":"eyes","count":1,"users":["UB00001"]}]', reactors = reactors || '{UB00001}',
                          reaction_count = reaction_count + 1, updated_at = now()
      WHERE (channel_id, ts) IN (SELECT channel_id, ts FROM messages WHERE posted_at < $1::date - 30 LIMIT 5)`,
      [nextDay],
    );
    const added = (await client.query(`SELECT count(*)::int AS n FROM messages WHERE updated_at > now() - interval '1 minute'`)).rows[0].n;
    await client.query('ANALYZE messages');
    console.log(`new day ${nextDay}: ${added} messages inserted or changed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const incremental = await runWorker(['aggregate'], env);
    if (incremental.code !== 0) throw new Error(`aggregate failed:\n${incremental.output}`);
    const run = await lastRun(client);

    const baseline = Math.min(...baselines);
    const full = Math.min(...fulls.map((entry) => entry.runMs));
    const ratio = full / baseline;
    console.log('');
    console.log(`hand-written GROUP BY (best of ${repeat}):  ${baseline.toFixed(0)} ms`);
    console.log(
      `full aggregation (best of ${repeat}):       ${full} ms  → ${ratio.toFixed(2)}× the GROUP BY (target ≤ ${TARGET_FULL_RATIO}×)`,
    );
    console.log(
      `incremental after one new day:      ${run.duration_ms} ms  (${run.mode}, ${run.days} days recomputed, ${run.rows} rows; process ${incremental.wallMs.toFixed(0)} ms; target ≤ ${TARGET_INCREMENTAL_MS} ms)`,
    );
    if (ratio > TARGET_FULL_RATIO || run.duration_ms > TARGET_INCREMENTAL_MS) process.exitCode = 1;
  } finally {
    await client.end().catch(() => undefined);
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
