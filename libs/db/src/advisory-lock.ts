import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { openSession } from './database-session';

/**
 * Session-level advisory lock keys, one per kind of job, so that a job runs
 * once per cluster whatever the number of replicas or CronJob overlaps.
 */
export const MIGRATION_LOCK_KEY = 7_352_340_001;
export const AGGREGATION_LOCK_KEY = 7_352_340_002;
export const COLLECT_LOCK_KEY = 7_352_340_003;

export type LockedOutcome<T> = { acquired: true; value: T } | { acquired: false };

/** Work done while holding a lock; `session` is the connection that holds it, for work that must run there. */
export type LockedWork<T> = (session: Client) => Promise<T>;

/**
 * Runs `work` holding the advisory lock `key`, waiting for it as long as
 * another session holds it.
 */
export function withAdvisoryLock<T>(dataSource: DataSource, key: number, work: LockedWork<T>): Promise<T> {
  return inLockSession(dataSource, async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [key]);
    return whileLocked(session, key, work);
  });
}

/** Runs `work` only if the advisory lock `key` can be taken now. */
export function withTryAdvisoryLock<T>(dataSource: DataSource, key: number, work: LockedWork<T>): Promise<LockedOutcome<T>> {
  return inLockSession(dataSource, async (session) => {
    const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
    if (!rows[0].locked) return { acquired: false };
    return { acquired: true, value: await whileLocked(session, key, work) };
  });
}

/**
 * A lock is taken on a session of its own (see openSession), which is ended
 * however the work ends: that drops the lock even when unlocking could not be
 * sent, as PostgreSQL does when the process dies.
 */
async function inLockSession<T>(dataSource: DataSource, use: (session: Client) => Promise<T>): Promise<T> {
  const session = await openSession(dataSource);
  try {
    return await use(session);
  } finally {
    await session.end().catch(() => undefined);
  }
}

async function whileLocked<T>(session: Client, key: number, work: LockedWork<T>): Promise<T> {
  try {
    return await work(session);
  } finally {
    // At once for whoever waits, rather than when the session is gone; a lost session has released it already.
    await session.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
  }
}
