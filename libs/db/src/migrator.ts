import { DataSource } from 'typeorm';
import { MIGRATION_LOCK_KEY, withAdvisoryLock } from './advisory-lock';

/**
 * Applies pending migrations, each in its own transaction. A second process
 * waits on the lock and then finds nothing left to do.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  return withAdvisoryLock(dataSource, MIGRATION_LOCK_KEY, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/** Reverts the most recently applied migration, if any; returns its name. */
export async function revertLastMigration(dataSource: DataSource): Promise<string | undefined> {
  return withAdvisoryLock(dataSource, MIGRATION_LOCK_KEY, async () => {
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
