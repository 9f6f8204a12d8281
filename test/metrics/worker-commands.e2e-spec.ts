import { AGGREGATION_LOCK_KEY } from '@app/db';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { REPO_ROOT, runWorker, waitFor } from '../support/processes';

describe('worker aggregate, run and demo', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('metrics_worker');
    dataSource = await migratedDataSource(database);
    env = { DATABASE_URL: database.url, LOG_LEVEL: 'info', METRICS_TIMEZONE: 'UTC' };
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const output = (result: { stdout: string; stderr: string }) => result.stdout + result.stderr;

  it('describes its options and refuses bad ones', async () => {
    const help = await runWorker(['aggregate', '--help'], env);
    expect(help.code).toBe(0);
    for (const option of ['--from <day>', '--to <day>', '--full', '--wait']) expect(help.stdout).toContain(option);
    const bad = await runWorker(['aggregate', '--from', '2025-02-31'], env);
    expect(bad.code).toBe(1);
    expect(output(bad)).toContain('--from must be a calendar date written YYYY-MM-DD');
    const beforeFirstDay = await runWorker(['aggregate', '--from', '0099-12-07', '--to', '2025-01-01'], env);
    expect({
      code: beforeFirstDay.code,
      said: output(beforeFirstDay).includes('--from must be a calendar date written YYYY-MM-DD from 1970-01-01 to 9999-12-31'),
    }).toEqual({ code: 1, said: true });
    const lastDay = await runWorker(['aggregate', '--from', '9999-12-31'], env);
    expect(lastDay.code).toBe(1);
    expect(output(lastDay)).toContain('--from 9999-12-31 --to 9999-12-31: to (9999-12-31) is after 9999-12-04');
    expect(await dataSource.query(`SELECT count(*)::int AS runs FROM aggregation_runs`)).toEqual([{ runs: 0 }]);
  });

  it('loads the demo workspace once, aggregates it, and skips when data exists', async () => {
    const first = await runWorker(['demo'], env, 90_000);
    expect(first.code).toBe(0);
    expect(output(first)).toContain('demo workspace TDEMO00001');
    const [{ days, members }] = await dataSource.query(
      `SELECT count(DISTINCT day)::int AS days, count(DISTINCT user_id)::int AS members FROM member_day_rollups`,
    );
    expect(days).toBeGreaterThanOrEqual(90);
    expect(members).toBeGreaterThan(20);
    const again = await runWorker(['demo'], env);
    expect(again.code).toBe(0);
    expect(output(again)).toContain('the database already holds messages');
  });

  it('exits 0 saying so while another run holds the lock, and --wait waits for it', async () => {
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [AGGREGATION_LOCK_KEY]);
      const skipped = await runWorker(['aggregate'], env);
      expect(skipped.code).toBe(0);
      expect(output(skipped)).toContain('another aggregation run is in progress');

      const waiting = runWorker(['aggregate', '--wait'], env);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await holder.query('SELECT pg_advisory_unlock($1)', [AGGREGATION_LOCK_KEY]);
      const waited = await waiting;
      expect(waited.code).toBe(0);
      expect(output(waited)).toMatch(/incremental run \d+/);
    } finally {
      await holder.end();
    }
  });

  it('recomputes everything when METRICS_TIMEZONE changes', async () => {
    const tokyo = await runWorker(['aggregate'], { ...env, METRICS_TIMEZONE: 'Asia/Tokyo' });
    expect(tokyo.code).toBe(0);
    expect(output(tokyo)).toContain('METRICS_TIMEZONE changed from UTC to Asia/Tokyo');
    const [state] = await dataSource.query('SELECT timezone FROM aggregation_state');
    expect(state.timezone).toBe('Asia/Tokyo');
  });

  it('aggregates a channel shared between workspaces, whose messages carry either team', async () => {
    await dataSource.query(`INSERT INTO workspaces (id) VALUES ('TSHAREDA1'), ('TSHAREDB1') ON CONFLICT DO NOTHING`);
    // Team B alone in the first hour, team A in the second.
    await dataSource.query(
      `INSERT INTO messages (channel_id, ts, team_id, user_id, posted_at, source)
       VALUES ('CSHARED01', '1700000000.000100', 'TSHAREDB1', 'USHAREDB1', to_timestamp(1700000000.0001), 'events'),
              ('CSHARED01', '1700003600.000100', 'TSHAREDA1', 'USHAREDA1', to_timestamp(1700003600.0001), 'events')`,
    );
    const aggregated = await runWorker(['aggregate', '--full'], env);
    expect(aggregated.code).toBe(0);
    const days = await dataSource.query(`SELECT team_id, messages FROM channel_day_rollups WHERE channel_id = 'CSHARED01'`);
    expect(days).toEqual([{ team_id: 'TSHAREDA1', messages: 2 }]);
    // The heatmap counts the channel's hours for the workspace its day counts for, so the two add up.
    const hours = await dataSource.query(`SELECT team_id, messages FROM team_hour_rollups WHERE team_id LIKE 'TSHARED%' ORDER BY hour`);
    expect(hours).toEqual([
      { team_id: 'TSHAREDA1', messages: 1 },
      { team_id: 'TSHAREDA1', messages: 1 },
    ]);
  });

  it('`run` aggregates on its schedule, survives a failed run, and stops on SIGTERM', async () => {
    // A fresh change, so that every run of the next minutes has a day to recompute (the re-scan overlap).
    await dataSource.query(
      `INSERT INTO messages (channel_id, ts, team_id, user_id, posted_at, source) VALUES ('CSCHED', '1740009600.000001', 'TSCHED', 'USCHED', to_timestamp(1740009600), 'events')`,
    );
    const before: number = (await dataSource.query(`SELECT count(*)::int AS n FROM aggregation_runs WHERE trigger = 'schedule'`))[0].n;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/apps/worker/main.js'), 'run'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ...env, AGGREGATE_CRON: '* * * * * *' },
    });
    let log = '';
    child.stdout.on('data', (chunk) => (log += chunk));
    child.stderr.on('data', (chunk) => (log += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const runsBy = async (status: string) =>
      (await dataSource.query(`SELECT count(*)::int AS n FROM aggregation_runs WHERE trigger = 'schedule' AND status = $1`, [status]))[0]
        .n as number;
    try {
      await waitFor(async () => ((await runsBy('succeeded')) > before + 1 ? true : undefined), 20_000);
      // Break the next runs, then repair: the schedule must carry on.
      await dataSource.query('ALTER TABLE team_hour_rollups RENAME TO team_hour_rollups_away');
      await waitFor(async () => ((await runsBy('failed')) > 0 ? true : undefined), 20_000);
      await dataSource.query('ALTER TABLE team_hour_rollups_away RENAME TO team_hour_rollups');
      const succeeded = await runsBy('succeeded');
      await waitFor(async () => ((await runsBy('succeeded')) > succeeded ? true : undefined), 20_000);
      expect(log).toContain('aggregate scheduled: * * * * * *');
      expect(log).toContain('SLACK_BOT_TOKEN is not set: collect is not scheduled');
    } finally {
      child.kill('SIGTERM');
      expect({ code: await exited, log }).toEqual({ code: 0, log: expect.stringContaining('stopped') });
    }
  });
});
