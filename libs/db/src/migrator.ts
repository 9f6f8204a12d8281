import { DataSource } from 'typeorm';

/** Key of the session-level advisory lock that serialises schema changes across processes and pods. */
export const MIGRATION_LOCK_KEY = 7_352_340_001;

async function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Applies pending migrations, each in its own transaction. A second process
 * waits on the lock and then finds nothing left to do.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  return withMigrationLock(dataSource, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/** Reverts the most recently applied migration, if any; returns its name. */
export async function revertLastMigration(dataSource: DataSource): Promise<string | undefined> {
  return withMigrationLock(dataSource, async () => {
    const before = await appliedMigrationNames(dataSource);
    if (before.length === 0) return undefined;
    await dataSource.undoLastMigration({ transaction: 'each' });
    return before[before.length - 1];
  });
}

export async function appliedMigrationNames(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = await dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  if (!exists[0].present) return [];
  const rows: { name: string }[] = await dataSource.query(`SELECT name FROM "${table}" ORDER BY "timestamp", id`);
  return rows.map((row) => row.name);
}

/** True when every known migration has been applied. */
export async function schemaIsCurrent(dataSource: DataSource): Promise<boolean> {
  const applied = new Set(await appliedMigrationNames(dataSource));
  return dataSource.migrations.every((migration) => migration.name !== undefined && applied.has(migration.name));
}
