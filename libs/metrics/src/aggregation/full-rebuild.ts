import { ACTIVITY_WINDOW_DAYS } from '@app/db';
import { addDays } from '../calendar';
import { Rebuilt, RebuildStrategy, ROLLUP_STATEMENTS, RUN_SETTINGS, RunStatement, runAll } from './rebuild';
import {
  activityStatement,
  firstDaysStatement,
  FULL_RUN,
  newNumbersStatement,
  NUMBERED,
  ROLLUP_TABLES,
  runMessagesStatement,
  statement,
  Statement,
  teamDaysStatement,
  TRUNCATE_ROLLUPS,
} from './rollup-statements';

/** Rows sampled per table = 300 × this; PostgreSQL's default is 100. */
const FULL_RUN_STATISTICS_TARGET = 20;

/**
 * Every day rebuilt: the rollup tables emptied and refilled straight from
 * run_messages. Indexes, primary keys included, are dropped first and built
 * again at the end, far cheaper than row-by-row upkeep.
 */
export class FullRebuild implements RebuildStrategy {
  async rebuild(run: RunStatement, timezone: string): Promise<Rebuilt> {
    await runAll(run, RUN_SETTINGS);
    await run(TRUNCATE_ROLLUPS);
    const rebuildIndexes = await dropIndexes(run);
    // Group by hashing: the planner overestimates the groups of the run's temporary tables and would sort them.
    await run(statement(`SET LOCAL enable_sort = off`));
    await run(runMessagesStatement(FULL_RUN, timezone));
    let rows = 0;
    for (const { build } of ROLLUP_STATEMENTS) rows += (await run(build(FULL_RUN))).rowCount ?? 0;
    rows += (await run(firstDaysStatement(FULL_RUN))).rowCount ?? 0;
    for (const numbered of Object.values(NUMBERED)) await run(newNumbersStatement(FULL_RUN, numbered));
    rows += (await run(teamDaysStatement(FULL_RUN))).rowCount ?? 0;
    await run(statement(`SET LOCAL enable_sort = on`));

    const {
      rows: [bounds],
    } = await run(
      statement(`SELECT min(day)::text AS first, max(day)::text AS last, count(DISTINCT day)::int AS count FROM channel_day_rollups`),
    );
    if (bounds.first) {
      // A day's activity counts in the WAU/MAU of the 27 days after it.
      rows += (await run(activityStatement(FULL_RUN, bounds.first, addDays(bounds.last, ACTIVITY_WINDOW_DAYS - 1)))).rowCount ?? 0;
    }
    await runAll(run, rebuildIndexes);
    // Fresh statistics for the API's plans after replacing every row. A small sample is enough
    // for its range and id lookups, and autovacuum refines it with the default sample soon after.
    await run(statement(`SET LOCAL default_statistics_target = ${FULL_RUN_STATISTICS_TARGET}`));
    for (const table of ROLLUP_TABLES) await run(statement(`ANALYZE ${table}`));
    return { rows, fromDay: bounds.first ?? null, toDay: bounds.last ?? null, days: bounds.count };
  }
}

/**
 * Drops every index of the rollup tables, primary keys included, and
 * returns the statements that build them again as they were.
 */
async function dropIndexes(run: RunStatement): Promise<Statement[]> {
  const { rows: constraints } = await run(
    statement(
      `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text = ANY($1) AND contype IN ('p', 'u')`,
      ROLLUP_TABLES,
    ),
  );
  const { rows: indexes } = await run(
    statement(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = ANY($1)
         AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace)`,
      ROLLUP_TABLES,
    ),
  );
  for (const constraint of constraints) await run(statement(`ALTER TABLE ${constraint.table} DROP CONSTRAINT ${constraint.name}`));
  for (const index of indexes) await run(statement(`DROP INDEX ${index.name}`));
  return [
    ...constraints.map((constraint) =>
      statement(`ALTER TABLE ${constraint.table} ADD CONSTRAINT ${constraint.name} ${constraint.definition}`),
    ),
    ...indexes.map((index) => statement(index.definition)),
  ];
}
