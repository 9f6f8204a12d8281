import { DataSource } from 'typeorm';

/**
 * Session-level advisory lock keys, one per kind of job, so that a job runs
 * once per cluster whatever the number of replicas or CronJob overlaps.
 * (7_352_340_001 is the migration lock, MIGRATION_LOCK_KEY.)
 */
export const AGGREGATION_LOCK_KEY = 7_352_340_002;
export const COLLECT_LOCK_KEY = 7_352_340_003;

export type LockedOutcome<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `work` only if this session can take the advisory lock `key` now; the
 * lock is held on one dedicated connection for the whole run and released
 * however the work ends (PostgreSQL also drops it if the process dies).
 */
export async function withTryAdvisoryLock<T>(dataSource: DataSource, key: number, work: () => Promise<T>): Promise<LockedOutcome<T>> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [key]);
    if (!locked) return { acquired: false };
    try {
      return { acquired: true, value: await work() };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}
