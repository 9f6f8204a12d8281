import { ACTIVITY_WINDOW_DAYS } from '@app/db';
import { addDays } from '../calendar';
import { Rebuilt, RebuildStrategy, ROLLUP_STATEMENTS, RUN_SETTINGS, RunStatement, runAll } from './rebuild';
import {
  activityStatement,
  applyNewRows,
  firstDaysStatement,
  KEPT_ROWS_OF_SCOPE_DAYS,
  KEPT_ROWS_OF_SCOPE_MEMBERS,
  keptRowsBetween,
  newNumbersStatement,
  NUMBERED,
  PARTIAL_RUN,
  RollupTable,
  runMessagesStatement,
  SCOPE_MEMBERS_STATEMENT,
  scopeDaysStatement,
  scopeRangesStatement,
  statement,
  Statement,
  teamDaysStatement,
  WIDEN_SETS_STATEMENT,
} from './rollup-statements';

/**
 * The given days rebuilt (sorted, at least one): their rows are computed
 * into temporary tables and only the differences written to the rollups,
 * with the DAU/WAU/MAU of the days whose windows reach back to them.
 */
export class PartialRebuild implements RebuildStrategy {
  constructor(private readonly days: readonly string[]) {}

  async rebuild(run: RunStatement, timezone: string): Promise<Rebuilt> {
    await runAll(run, RUN_SETTINGS);
    await run(scopeDaysStatement(this.days));
    await run(scopeRangesStatement(timezone));
    // Temporary tables have no statistics until analysed; without them the plans below can go quadratic.
    await run(statement('ANALYZE scope_days, scope_ranges'));
    await run(runMessagesStatement(PARTIAL_RUN, timezone));
    await run(statement('ANALYZE run_messages'));
    for (const { build } of ROLLUP_STATEMENTS) await run(build(PARTIAL_RUN));
    await run(SCOPE_MEMBERS_STATEMENT);
    let rows = 0;
    for (const { table } of ROLLUP_STATEMENTS) rows += await applyChanges(run, table, KEPT_ROWS_OF_SCOPE_DAYS);
    await run(firstDaysStatement(PARTIAL_RUN, 'scope_members'));
    rows += await applyChanges(run, 'member_first_days', KEPT_ROWS_OF_SCOPE_MEMBERS);
    for (const numbered of Object.values(NUMBERED)) await run(newNumbersStatement(PARTIAL_RUN, numbered));
    await run(WIDEN_SETS_STATEMENT);
    await run(teamDaysStatement(PARTIAL_RUN));
    rows += await applyChanges(run, 'team_day_rollups', KEPT_ROWS_OF_SCOPE_DAYS);

    const fromDay = this.days[0];
    const toDay = this.days[this.days.length - 1];
    // A day's activity counts in the WAU/MAU of the 27 days after it.
    const activityTo = addDays(toDay, ACTIVITY_WINDOW_DAYS - 1);
    await run(activityStatement(PARTIAL_RUN, fromDay, activityTo));
    rows += await applyChanges(run, 'team_activity_rollups', keptRowsBetween(fromDay, activityTo));
    return { rows, fromDay, toDay, days: this.days.length };
  }
}

/** Writes the differences between `next_<table>` and the `replaced` rows of the table; returns the rows inserted. */
async function applyChanges(run: RunStatement, table: RollupTable, replaced: Statement): Promise<number> {
  await run(statement(`ANALYZE next_${table}`));
  const { removeChanged, insertNew } = applyNewRows(table, replaced);
  await run(removeChanged);
  return (await run(insertNew)).rowCount ?? 0;
}
