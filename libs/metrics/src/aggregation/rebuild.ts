import { Logger } from '@nestjs/common';
import type { Client, QueryResult } from 'pg';
import {
  Statement,
  channelDaysStatement,
  memberChannelDaysStatement,
  memberDaysStatement,
  RollupTable,
  RunShape,
  statement,
  teamHoursStatement,
  threadsStatement,
} from './rollup-statements';

/** Hash aggregates of a run stay in memory instead of spilling to disk. */
const AGGREGATION_WORK_MEM = '64MB';

/** What a rebuild wrote, for the run's record. */
export interface Rebuilt {
  rows: number;
  fromDay: string | null;
  toDay: string | null;
  days: number;
}

/** Runs one statement of the run's transaction. */
export type RunStatement = (statement: Statement) => Promise<QueryResult>;

/** How a run rebuilds rollups: every day (FullRebuild) or the days it was given (PartialRebuild). */
export interface RebuildStrategy {
  /** Deletes and rebuilds the rollups of its days, inside the caller's transaction. */
  rebuild(run: RunStatement, timezone: string): Promise<Rebuilt>;
}

/** Each statement's time at debug level: where a run's time goes. */
export function timedStatements(session: Client, logger: Logger): RunStatement {
  return async ({ sql, params }) => {
    const started = process.hrtime.bigint();
    const result = await session.query(sql, [...params]);
    logger.debug(`${Number((process.hrtime.bigint() - started) / 1_000_000n)} ms: ${sql.trim().replace(/\s+/g, ' ').slice(0, 100)}`);
    return result;
  };
}

/** The settings of every run's transaction. */
export const RUN_SETTINGS = [
  statement(`SET LOCAL work_mem = '${AGGREGATION_WORK_MEM}'`),
  // Nothing is lost by a crash before the commit is flushed: the run is recomputed from raw messages.
  statement(`SET LOCAL synchronous_commit = off`),
];

/** The rollups computed from run_messages, in the order they read one another, with the table each writes. */
export const ROLLUP_STATEMENTS: ReadonlyArray<{ table: RollupTable; build: (shape: RunShape) => Statement }> = [
  { table: 'thread_rollups', build: threadsStatement },
  { table: 'channel_day_rollups', build: channelDaysStatement },
  { table: 'team_hour_rollups', build: teamHoursStatement },
  { table: 'member_channel_day_rollups', build: memberChannelDaysStatement },
  { table: 'member_day_rollups', build: memberDaysStatement },
];

export async function runAll(run: RunStatement, statements: readonly Statement[]): Promise<void> {
  for (const each of statements) await run(each);
}
