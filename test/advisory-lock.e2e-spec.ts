import { createDataSource, sessionConfig, withAdvisoryLock, withTryAdvisoryLock } from '@app/db';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { createTestDatabase, TestDatabase } from './support/database';

const KEY = 7_352_349_999;

describe('advisory locks on a session of their own', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let observer: Client;

  beforeAll(async () => {
    database = await createTestDatabase('advisory_lock');
    // One pooled connection: work holding a lock must still be able to use it.
    dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 1, applicationName: 'lock-test' });
    await dataSource.initialize();
    observer = new Client({ connectionString: database.url });
    await observer.connect();
  });

  afterAll(async () => {
    await observer?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  const lockHolders = async (): Promise<number> =>
    (
      await observer.query(
        `SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1::bigint % 4294967296`,
        [KEY],
      )
    ).rows[0].count;
  const lockSessions = async (): Promise<number> =>
    (
      await observer.query(
        `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'lock-test'`,
      )
    ).rows[0].count;

  it('connects as the pool does, named as the DataSource is', () => {
    expect(sessionConfig(dataSource.options as PostgresDataSourceOptions)).toMatchObject({
      connectionString: database.url,
      application_name: 'lock-test',
      connectionTimeoutMillis: 3000,
      keepAlive: true,
    });
  });

  it('holds the lock on a session beside the pool for the whole work, then releases it and ends the session', async () => {
    const seen = await withAdvisoryLock(dataSource, KEY, async (session) => {
      const [{ answer }] = await dataSource.query('SELECT 41 + 1 AS answer');
      const { rows } = await session.query('SELECT pg_backend_pid() AS pid');
      return { answer, holders: await lockHolders(), sessionPid: rows[0].pid };
    });
    expect({ answer: seen.answer, holders: seen.holders }).toEqual({ answer: 42, holders: 1 });
    expect(await lockHolders()).toBe(0);
    const { rows } = await observer.query('SELECT count(*)::int AS count FROM pg_stat_activity WHERE pid = $1', [seen.sessionPid]);
    expect(rows[0].count).toBe(0);
  });

  it('skips the work while another session holds the lock, and waits for it when asked to', async () => {
    await observer.query('SELECT pg_advisory_lock($1)', [KEY]);
    let waited: Promise<string> | undefined;
    try {
      const work = jest.fn(async () => 'ran');
      expect(await withTryAdvisoryLock(dataSource, KEY, work)).toEqual({ acquired: false });
      expect(work).not.toHaveBeenCalled();
      waited = withAdvisoryLock(dataSource, KEY, async () => 'ran after the holder');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await Promise.race([waited, 'still waiting'])).toBe('still waiting');
    } finally {
      await observer.query('SELECT pg_advisory_unlock($1)', [KEY]);
    }
    expect(await waited).toBe('ran after the holder');
    expect(await withTryAdvisoryLock(dataSource, KEY, async () => 'ran')).toEqual({ acquired: true, value: 'ran' });
  });

  it('releases the lock and the session when the work fails or its session is lost', async () => {
    await expect(withAdvisoryLock(dataSource, KEY, async () => Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
    expect(await lockHolders()).toBe(0);
    await expect(
      withAdvisoryLock(dataSource, KEY, async (session) => {
        await observer.query('SELECT pg_terminate_backend($1)', [(await session.query('SELECT pg_backend_pid() AS pid')).rows[0].pid]);
        await session.query('SELECT 1');
      }),
    ).rejects.toThrow();
    expect(await lockHolders()).toBe(0);
    expect(await withTryAdvisoryLock(dataSource, KEY, async () => 'free')).toEqual({ acquired: true, value: 'free' });
    expect(await lockSessions()).toBeLessThanOrEqual(1);
  });
});
