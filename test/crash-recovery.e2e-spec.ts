import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { COLLECT_LOCK_KEY } from '@app/db';
import { ROLLUP_TABLES } from '@app/metrics';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from './support/database';
import { FakeMessage, FakeSlackData, FakeSlackServer } from './support/fake-slack-server';
import { runWorker, startWorker, temporaryDirectory, waitFor } from './support/processes';
import { createSlackExportFixture, writeExportZip } from './support/slack-export-fixture';

/** Every raw row, minus the columns that only say when a row was written. */
const RAW_TABLES: Record<string, string> = {
  workspaces: 'SELECT id, name, domain FROM workspaces ORDER BY id',
  channels: 'SELECT id, team_id, name, kind, is_private, is_archived, created, member_count FROM channels ORDER BY id',
  users: 'SELECT id, team_id, name, real_name, is_bot, is_deleted, tz FROM users ORDER BY id',
  messages: `SELECT channel_id, ts, team_id, user_id, bot_id, thread_ts, subtype, posted_at, is_bot, reply_count, latest_reply_ts,
                    reaction_count, reactions, reactors, file_count, text, edited_at, deleted_at IS NOT NULL AS deleted, source
             FROM messages ORDER BY channel_id, ts`,
  sync: 'SELECT channel_id, newest_ts, pending_cursor, last_error FROM channel_sync_state ORDER BY channel_id',
};

async function query<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function rawSnapshot(url: string): Promise<Record<string, unknown[]>> {
  return query(url, async (client) => {
    const snapshot: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(RAW_TABLES)) snapshot[name] = (await client.query(sql)).rows;
    return snapshot;
  });
}

async function rollupSnapshot(url: string): Promise<Record<string, unknown[]>> {
  return query(url, async (client) => {
    const snapshot: Record<string, unknown[]> = {};
    for (const table of ROLLUP_TABLES) {
      const columns: string[] = (
        await client.query(
          `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND column_name NOT IN ('updated_at', 'computed_at') ORDER BY ordinal_position`,
          [table],
        )
      ).rows.map((row) => `"${row.column_name}"`);
      expect(columns.length).toBeGreaterThan(0);
      snapshot[table] = (await client.query(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${columns.join(', ')}`)).rows;
    }
    return snapshot;
  });
}

/** True once the worker's connection has a transaction open: the command is mid-write. */
function workerIsWriting(url: string): Promise<true | undefined> {
  return query(url, async (client) => {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'slack-metrics-worker'
         AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
    );
    return rows.length > 0 ? true : undefined;
  });
}

async function migrated(prefix: string): Promise<TestDatabase> {
  const database = await createTestDatabase(prefix);
  expect((await runWorker(['migrate'], { DATABASE_URL: database.url })).code).toBe(0);
  return database;
}

describe('crash half-way and run again', () => {
  const databases: TestDatabase[] = [];
  const fresh = async (prefix: string) => {
    const database = await migrated(prefix);
    databases.push(database);
    return database;
  };

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('import: SIGKILL mid-transaction leaves nothing, and the re-run equals an uninterrupted import', async () => {
    const zip = join(temporaryDirectory('crash-import'), 'export.zip');
    const messages = await writeExportZip(createSlackExportFixture({ seed: 7, days: 40, messagesPerDay: 40, publicChannels: 5 }), zip);
    expect(messages).toBeGreaterThan(10_000);

    const reference = await fresh('crash_import_reference');
    expect((await runWorker(['import', zip], { DATABASE_URL: reference.url })).code).toBe(0);

    const crashed = await fresh('crash_import');
    const first = startWorker(['import', zip], { DATABASE_URL: crashed.url });
    await waitFor(() => workerIsWriting(crashed.url), 30_000, 20);
    await sleep(150);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect((await rawSnapshot(crashed.url)).messages).toEqual([]);

    expect((await runWorker(['import', zip], { DATABASE_URL: crashed.url })).code).toBe(0);
    expect(await rawSnapshot(crashed.url)).toEqual(await rawSnapshot(reference.url));
  });

  it('collect: SIGKILL between history pages, and the re-run equals an uninterrupted collection', async () => {
    const data = slackWorkspace();
    const reference = await fresh('crash_collect_reference');
    const referenceSlack = await FakeSlackServer.start(data, { token: TOKEN, pageSize: 5 });
    try {
      const run = await runWorker(['collect'], { DATABASE_URL: reference.url, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: referenceSlack.url });
      expect(run.code).toBe(0);
    } finally {
      await referenceSlack.close();
    }

    const crashed = await fresh('crash_collect');
    const slack = await FakeSlackServer.start(data, { token: TOKEN, pageSize: 5 });
    try {
      const env = { DATABASE_URL: crashed.url, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url };
      const first = startWorker(['collect'], env);
      await waitFor(async () => (slack.calls('conversations.history').length >= 12 ? true : undefined), 30_000, 5);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      const partial = await rawSnapshot(crashed.url);
      expect(partial.messages.length).toBeGreaterThan(0);
      expect(partial.messages.length).toBeLessThan((await rawSnapshot(reference.url)).messages.length);

      const historyCallsBefore = slack.calls('conversations.history').length;
      expect((await runWorker(['collect'], env)).code).toBe(0);
      expect(await rawSnapshot(crashed.url)).toEqual(await rawSnapshot(reference.url));
      // The re-run resumed: it did not walk every channel from the start again.
      const referencePages = Math.ceil(200 / 5) * CHANNELS.length;
      expect(slack.calls('conversations.history').length - historyCallsBefore).toBeLessThan(referencePages);
    } finally {
      await slack.close();
    }
  });

  it('collect: a run that finds another one holding the collect lock does nothing and exits 0', async () => {
    const database = await fresh('collect_lock');
    const slack = await FakeSlackServer.start(slackWorkspace(), { token: TOKEN, pageSize: 5 });
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [COLLECT_LOCK_KEY]);
      const run = await runWorker(['collect'], {
        DATABASE_URL: database.url,
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_API_URL: slack.url,
        LOG_LEVEL: 'info',
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('another collect run is in progress');
      expect(slack.requests).toHaveLength(0);
    } finally {
      await holder.end();
      await slack.close();
    }
  });

  it('aggregate: two runs at once give the same rollups as one', async () => {
    const zip = join(temporaryDirectory('crash-aggregate'), 'export.zip');
    await writeExportZip(createSlackExportFixture({ seed: 11, days: 20, messagesPerDay: 12 }), zip);
    const single = await fresh('aggregate_single');
    const concurrent = await fresh('aggregate_concurrent');
    for (const database of [single, concurrent]) {
      expect((await runWorker(['import', zip], { DATABASE_URL: database.url, METRICS_TIMEZONE: 'Asia/Tokyo' })).code).toBe(0);
    }
    const env = (database: TestDatabase) => ({ DATABASE_URL: database.url, METRICS_TIMEZONE: 'Asia/Tokyo' });
    expect((await runWorker(['aggregate'], env(single))).code).toBe(0);
    const runs = await Promise.all([runWorker(['aggregate'], env(concurrent)), runWorker(['aggregate'], env(concurrent))]);
    expect(runs.map((run) => run.code)).toEqual([0, 0]);

    const expected = await rollupSnapshot(single.url);
    expect(expected.channel_day_rollups.length).toBeGreaterThan(0);
    expect(await rollupSnapshot(concurrent.url)).toEqual(expected);
  });
});

const TOKEN = 'xoxb-crash-recovery-token';
const TEAM = 'T0CRASH';
const CHANNELS = ['C0ALPHA', 'C0BRAVO', 'C0CHARLIE'];

/** Three channels of 200 messages each, with threads and reactions. */
function slackWorkspace(): FakeSlackData {
  const users = ['U0ANN', 'U0BEN', 'U0CAT'];
  const history: Record<string, FakeMessage[]> = {};
  const replies: Record<string, Record<string, FakeMessage[]>> = {};
  CHANNELS.forEach((channel, channelIndex) => {
    history[channel] = [];
    replies[channel] = {};
    for (let n = 0; n < 200; n++) {
      const ts = `${1_717_000_000 + channelIndex * 100_000 + n * 60}.000100`;
      const message: FakeMessage = { type: 'message', ts, user: users[n % 3], text: `m${n}` };
      if (n % 10 === 0) {
        const threadReplies = [1, 2].map((r) => ({
          type: 'message',
          ts: `${1_717_000_000 + channelIndex * 100_000 + n * 60 + r}.000200`,
          user: users[(n + r) % 3],
          thread_ts: ts,
          text: 'reply',
        }));
        Object.assign(message, { thread_ts: ts, reply_count: 2, latest_reply: threadReplies[1].ts });
        replies[channel][ts] = threadReplies;
      }
      if (n % 7 === 0) Object.assign(message, { reactions: [{ name: 'tada', count: 2, users: ['U0ANN', 'U0BEN'] }] });
      history[channel].push(message);
    }
  });
  return {
    team: { id: TEAM, name: 'Crash Test', domain: 'crash-test' },
    channels: CHANNELS.map((id, index) => ({
      id,
      name: `channel-${index}`,
      created: 1_700_000_000,
      is_private: false,
      is_archived: false,
      is_member: true,
      num_members: 3,
    })),
    users: users.map((id) => ({ id, team_id: TEAM, name: id.toLowerCase(), real_name: id, deleted: false, is_bot: false, tz: 'UTC' })),
    history,
    replies,
  };
}
