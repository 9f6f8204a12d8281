import {
  AGGREGATION_LOCK_KEY,
  appliedMigrationNames,
  createDataSource,
  MIGRATIONS,
  revertLastMigration,
  runPendingMigrations,
} from '@app/db';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from './support/database';
import { runWorker } from './support/processes';

async function tableNames(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  await client.end();
  return rows.map((row) => row.tablename);
}

/** The names of the migration given and of every later one, oldest first. */
function migrationsFrom(name: string): string[] {
  const names = MIGRATIONS.map((migration) => migration.name);
  return names.slice(names.indexOf(name));
}

/** Reverts the newest migrations down to and including the one given, checking that they go newest first. */
async function revertThrough(dataSource: DataSource, name: string): Promise<void> {
  const reverted: Array<string | undefined> = [];
  for (let count = migrationsFrom(name).length; count > 0; count--) reverted.push(await revertLastMigration(dataSource));
  expect(reverted).toEqual(migrationsFrom(name).reverse());
}

describe('schema migrations', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase('migrations');
  });

  afterEach(async () => {
    await database.drop();
  });

  it('apply on an empty database and revert down to nothing', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    try {
      const applied = await runPendingMigrations(dataSource);
      expect(applied).toEqual(MIGRATIONS.map((migration) => migration.name));
      expect(await tableNames(database.url)).toEqual(
        expect.arrayContaining([
          'workspaces',
          'channels',
          'users',
          'messages',
          'channel_sync_state',
          'processed_events',
          'schema_migrations',
        ]),
      );
      expect(await runPendingMigrations(dataSource)).toEqual([]);

      for (let remaining = MIGRATIONS.length; remaining > 0; remaining--) {
        expect(await revertLastMigration(dataSource)).toBe(MIGRATIONS[remaining - 1].name);
      }
      expect(await revertLastMigration(dataSource)).toBeUndefined();
      expect(await tableNames(database.url)).toEqual(['schema_migrations']);

      // And up again: every down left the database fit for its up.
      expect(await runPendingMigrations(dataSource)).toHaveLength(MIGRATIONS.length);
    } finally {
      await dataSource.destroy();
    }
  });

  it('RecountTeamHours forgets the aggregation state after any run in progress, so that the next run is a full one', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    const aggregationRun = new Client({ connectionString: database.url });
    await aggregationRun.connect();
    try {
      await runPendingMigrations(dataSource);
      await revertThrough(dataSource, 'RecountTeamHours1764912000000');
      await aggregationRun.query('SELECT pg_advisory_lock($1)', [AGGREGATION_LOCK_KEY]);
      const migrated = runPendingMigrations(dataSource);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The run commits its state while the migration waits for it.
      await aggregationRun.query(`INSERT INTO aggregation_state (timezone, changes_seen_until, bot_user_ids) VALUES ('UTC', now(), '{}')`);
      await aggregationRun.query('SELECT pg_advisory_unlock($1)', [AGGREGATION_LOCK_KEY]);
      expect(await migrated).toEqual(migrationsFrom('RecountTeamHours1764912000000'));
      expect(await dataSource.query('SELECT * FROM aggregation_state')).toEqual([]);
    } finally {
      await aggregationRun.end();
      await dataSource.destroy();
    }
  });

  it("WideReactionTotals widens a channel day's reactions past the integer range, and its revert clamps them back", async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    try {
      await runPendingMigrations(dataSource);
      const row = `('C1', '2025-01-01', 'T1', 2, 2, 0, 0, 4000000000, now())`;
      await dataSource.query(`INSERT INTO channel_day_rollups VALUES ${row}`);
      expect(await dataSource.query(`SELECT reactions::text FROM channel_day_rollups`)).toEqual([{ reactions: '4000000000' }]);
      await revertThrough(dataSource, 'WideReactionTotals1764998400000');
      expect(await dataSource.query(`SELECT reactions FROM channel_day_rollups`)).toEqual([{ reactions: 2147483647 }]);
      await runPendingMigrations(dataSource);
      await dataSource.query(`DELETE FROM channel_day_rollups`);
    } finally {
      await dataSource.destroy();
    }
  });

  it('AudienceFacts leaves rows stored before unknown (NULL) and its revert drops only the new columns', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    const audienceColumns = `SELECT attrelid::regclass::text AS "table", attname AS name FROM pg_attribute
      WHERE attrelid IN ('users'::regclass, 'messages'::regclass) AND attname IN ('is_restricted', 'is_ultra_restricted', 'author_team_id')
        AND NOT attisdropped ORDER BY 1, 2`;
    try {
      await runPendingMigrations(dataSource);
      await revertThrough(dataSource, 'AudienceFacts1765084800000');
      expect(await dataSource.query(audienceColumns)).toEqual([]);
      await dataSource.query(`INSERT INTO users (id, team_id, tz) VALUES ('U1', 'T1', 'Europe/Paris')`);
      await dataSource.query(
        `INSERT INTO messages (channel_id, ts, team_id, user_id, posted_at, source) VALUES ('C1', '1700000000.000100', 'T1', 'U1', now(), 'import')`,
      );

      expect(await runPendingMigrations(dataSource)).toEqual(migrationsFrom('AudienceFacts1765084800000'));
      expect(await dataSource.query(`SELECT team_id, is_restricted, is_ultra_restricted, tz FROM users`)).toEqual([
        { team_id: 'T1', is_restricted: null, is_ultra_restricted: null, tz: 'Europe/Paris' },
      ]);
      expect(await dataSource.query(`SELECT team_id, author_team_id FROM messages`)).toEqual([{ team_id: 'T1', author_team_id: null }]);

      await dataSource.query(`UPDATE users SET is_restricted = true, is_ultra_restricted = false`);
      await dataSource.query(`UPDATE messages SET author_team_id = 'T2'`);
      await revertThrough(dataSource, 'AudienceFacts1765084800000');
      expect(await dataSource.query(audienceColumns)).toEqual([]);
      expect(await dataSource.query(`SELECT id, team_id, tz FROM users`)).toEqual([{ id: 'U1', team_id: 'T1', tz: 'Europe/Paris' }]);
      expect(await dataSource.query(`SELECT ts, user_id FROM messages`)).toEqual([{ ts: '1700000000.000100', user_id: 'U1' }]);
      await runPendingMigrations(dataSource);
      await dataSource.query(`TRUNCATE users, messages`);
    } finally {
      await dataSource.destroy();
    }
  });

  it('MemberFirstDays forgets the aggregation state, so that the next run fills the new rollup, and its revert drops it', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    const table = `SELECT to_regclass('member_first_days')::text AS name`;
    try {
      await runPendingMigrations(dataSource);
      await revertThrough(dataSource, 'MemberFirstDays1765171200000');
      expect(await dataSource.query(table)).toEqual([{ name: null }]);
      await dataSource.query(`INSERT INTO aggregation_state (timezone, changes_seen_until, bot_user_ids) VALUES ('UTC', now(), '{}')`);
      expect(await runPendingMigrations(dataSource)).toEqual(migrationsFrom('MemberFirstDays1765171200000'));
      expect(await dataSource.query(table)).toEqual([{ name: 'member_first_days' }]);
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM aggregation_state`)).toEqual([{ n: 0 }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('AudienceRollups adds who started a thread and the team of a member day, and makes the next run a full one', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    const rollupColumns = `SELECT attrelid::regclass::text AS "table", attname AS name FROM pg_attribute
      WHERE attrelid IN ('thread_rollups'::regclass, 'member_channel_day_rollups'::regclass, 'member_day_rollups'::regclass)
        AND attname IN ('starter_user_id', 'starter_team_id', 'author_team_id') AND NOT attisdropped ORDER BY 1, 2`;
    try {
      await runPendingMigrations(dataSource);
      await revertThrough(dataSource, 'AudienceRollups1765257600000');
      expect(await dataSource.query(rollupColumns)).toEqual([]);
      await dataSource.query(`INSERT INTO aggregation_state (timezone, changes_seen_until, bot_user_ids) VALUES ('UTC', now(), '{}')`);
      expect(await runPendingMigrations(dataSource)).toEqual(migrationsFrom('AudienceRollups1765257600000'));
      expect(await dataSource.query(rollupColumns)).toEqual([
        { table: 'member_channel_day_rollups', name: 'author_team_id' },
        { table: 'member_day_rollups', name: 'author_team_id' },
        { table: 'thread_rollups', name: 'starter_team_id' },
        { table: 'thread_rollups', name: 'starter_user_id' },
      ]);
      expect(await dataSource.query('SELECT * FROM aggregation_state')).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('TeamKeyedRollups leads every rollup key with the workspace, keeping the rows, and its revert restores the keys', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    const keysAndIndexes = `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition FROM pg_index
      WHERE indrelid IN ('channel_day_rollups'::regclass, 'thread_rollups'::regclass, 'member_channel_day_rollups'::regclass,
                         'member_day_rollups'::regclass)
      ORDER BY 1`;
    const rows = `SELECT (SELECT count(*) FROM channel_day_rollups) AS channel_days, (SELECT count(*) FROM thread_rollups) AS threads,
      (SELECT count(*) FROM member_channel_day_rollups) AS member_channel_days, (SELECT count(*) FROM member_day_rollups) AS member_days`;
    try {
      await runPendingMigrations(dataSource);
      const teamKeyed = await dataSource.query(keysAndIndexes);
      await revertThrough(dataSource, 'TeamKeyedRollups1765344000000');
      const before = await dataSource.query(keysAndIndexes);
      await dataSource.query(`INSERT INTO channel_day_rollups VALUES ('C1', '2025-01-01', 'T1', 2, 2, 0, 1, 3, now())`);
      await dataSource.query(`INSERT INTO thread_rollups (channel_id, thread_ts, team_id, day, first_reply_seconds)
        VALUES ('C1', '1735732800.000100', 'T1', '2025-01-01', 60)`);
      await dataSource.query(`INSERT INTO member_channel_day_rollups (user_id, channel_id, day, team_id, messages, reactions_added)
        VALUES ('U1', 'C1', '2025-01-01', 'T1', 2, 1)`);
      await dataSource.query(`INSERT INTO member_day_rollups (team_id, user_id, day, messages, reactions_added, channels)
        VALUES ('T1', 'U1', '2025-01-01', 2, 1, 1)`);

      expect(await runPendingMigrations(dataSource)).toEqual(migrationsFrom('TeamKeyedRollups1765344000000'));
      expect(await dataSource.query(keysAndIndexes)).toEqual(teamKeyed);
      const primaryKeys = teamKeyed.filter((index: { name: string }) => index.name.endsWith('_pkey'));
      expect(primaryKeys.map((index: { definition: string }) => index.definition.replace(/.*USING btree /, ''))).toEqual([
        '(team_id, channel_id, day)',
        '(team_id, user_id, day, channel_id)',
        '(day, team_id, user_id)',
        '(team_id, channel_id, day, thread_ts)',
      ]);
      expect(
        teamKeyed.filter(
          (index: { definition: string }) => !index.definition.includes('(team_id') && !index.definition.includes('(day, team_id'),
        ),
      ).toEqual([]);
      expect(await dataSource.query(rows)).toEqual([{ channel_days: '1', threads: '1', member_channel_days: '1', member_days: '1' }]);

      await revertThrough(dataSource, 'TeamKeyedRollups1765344000000');
      expect(await dataSource.query(keysAndIndexes)).toEqual(before);
      expect(await dataSource.query(rows)).toEqual([{ channel_days: '1', threads: '1', member_channel_days: '1', member_days: '1' }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('TeamDayRollups numbers the members and channels already rolled up and fills the workspace days, so no run is needed; its revert drops them', async () => {
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    const tables = `SELECT to_regclass('member_numbers')::text AS numbers, to_regclass('team_day_rollups')::text AS days`;
    try {
      await runPendingMigrations(dataSource);
      await revertThrough(dataSource, 'TeamDayRollups1765430400000');
      expect(await dataSource.query(tables)).toEqual([{ numbers: null, days: null }]);
      // UB first active on the 1st, UA and UC on the 2nd. T2's 301 members (even ones first active on the 1st, so numbered
      // first) need more than one 256-bit block.
      await dataSource.query(`INSERT INTO member_day_rollups (team_id, user_id, day, messages, reactions_added, channels) VALUES
        ('T1', 'UB', '2025-01-01', 1, 0, 1), ('T1', 'UA', '2025-01-02', 1, 0, 1), ('T1', 'UB', '2025-01-02', 0, 1, 1),
        ('T1', 'UC', '2025-01-02', 2, 0, 1)`);
      await dataSource.query(`INSERT INTO member_day_rollups (team_id, user_id, day, messages, reactions_added, channels)
        SELECT 'T2', 'U' || lpad(n::text, 3, '0'), '2025-01-01'::date + n % 2, 1, 0, 1 FROM generate_series(0, 300) n`);
      await dataSource.query(`INSERT INTO channel_day_rollups
          (channel_id, day, team_id, messages, human_messages, thread_replies, threads_started, reactions, last_message_at)
        VALUES ('C2', '2025-01-01', 'T1', 3, 2, 1, 0, 4, now()), ('C1', '2025-01-01', 'T1', 1, 1, 0, 1, 0, now()),
               ('C1', '2025-01-02', 'T1', 2, 2, 0, 0, 1, now())`);
      expect(await runPendingMigrations(dataSource)).toEqual(['TeamDayRollups1765430400000']);
      expect(await dataSource.query(`SELECT user_id, number FROM member_numbers WHERE team_id = 'T1' ORDER BY number`)).toEqual([
        { user_id: 'UB', number: 0 },
        { user_id: 'UA', number: 1 },
        { user_id: 'UC', number: 2 },
      ]);
      expect(
        await dataSource.query(
          `SELECT team_id, day::text, length(members) AS bits, bit_count(members)::int AS members, substring(members::text, 1, 4) AS first,
                  messages, length(channels) AS channel_bits, bit_count(channels)::int AS channels
           FROM team_day_rollups ORDER BY 1, 2`,
        ),
      ).toEqual([
        { team_id: 'T1', day: '2025-01-01', bits: 256, members: 1, first: '1000', messages: 4, channel_bits: 256, channels: 2 },
        { team_id: 'T1', day: '2025-01-02', bits: 256, members: 3, first: '1110', messages: 2, channel_bits: 256, channels: 1 },
        { team_id: 'T2', day: '2025-01-01', bits: 512, members: 151, first: '1111', messages: 0, channel_bits: 256, channels: 0 },
        { team_id: 'T2', day: '2025-01-02', bits: 512, members: 150, first: '0000', messages: 0, channel_bits: 256, channels: 0 },
      ]);
      await revertThrough(dataSource, 'TeamDayRollups1765430400000');
      expect(await dataSource.query(tables)).toEqual([{ numbers: null, days: null }]);
      await dataSource.query(`DELETE FROM member_day_rollups`);
      await dataSource.query(`DELETE FROM channel_day_rollups`);
      await runPendingMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });

  it('`worker migrate` started twice at once applies the schema once and both exit 0', async () => {
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    const [first, second] = await Promise.all([runWorker(['migrate'], env), runWorker(['migrate'], env)]);
    expect([first.code, second.code]).toEqual([0, 0]);

    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 1, applicationName: 'test' });
    await dataSource.initialize();
    try {
      expect(await appliedMigrationNames(dataSource)).toEqual(MIGRATIONS.map((migration) => migration.name));
    } finally {
      await dataSource.destroy();
    }
    const outputs = [first, second].map((run) => run.stdout + run.stderr);
    expect(outputs.filter((output) => output.includes('applied RawActivity')).length).toBe(1);
    expect(outputs.filter((output) => output.includes('schema is up to date')).length).toBe(1);

    const rerun = await runWorker(['migrate'], env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout + rerun.stderr).toContain('schema is up to date');
  });

  it('`worker migrate --revert` undoes the last migration', async () => {
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'info' };
    expect((await runWorker(['migrate'], env)).code).toBe(0);
    const reverted = await runWorker(['migrate', '--revert'], env);
    expect(reverted.code).toBe(0);
    expect(reverted.stdout + reverted.stderr).toContain(`reverted ${MIGRATIONS[MIGRATIONS.length - 1].name}`);
  });
});
