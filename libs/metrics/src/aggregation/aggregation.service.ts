import { AppConfig } from '@app/config';
import { ACTIVITY_WINDOW_DAYS, AGGREGATION_LOCK_KEY, AggregationMode, LAST_DAY } from '@app/db';
import { AppMetrics } from '@app/observability';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { ROLLUPS_CHANGED_CHANNEL, RollupCache } from '../queries/rollup-cache';
import { addDays, canAddDays, eachDay } from '../calendar';
import { isThreadReply, localDay } from '../definitions';
import {
  CREATE_SCOPE_DAYS,
  CREATE_SCOPE_RANGES,
  ROLLUP_TABLES,
  RollupScope,
  TRUNCATE_ROLLUPS,
  activityStatement,
  applyStatements,
  channelDaysStatement,
  memberChannelDaysStatement,
  memberDaysStatement,
  runMessagesStatement,
  teamHoursStatement,
  threadsStatement,
} from './rollup-statements';

/**
 * Changes are re-scanned this far behind the last watermark. The watermark
 * already stops at the oldest open transaction; this covers the transactions
 * pg_stat_activity hides (sessions of another role without pg_read_all_stats).
 * Overlap only recomputes a few recent days again, which is idempotent.
 */
const RESCAN_OVERLAP = '5 minutes';

/** Hash aggregates of a full run stay in memory instead of spilling to disk. */
const AGGREGATION_WORK_MEM = '64MB';
/** Rows sampled per table = 300 × this; PostgreSQL's default is 100. */
const FULL_RUN_STATISTICS_TARGET = 20;

/** The last day a range run may recompute: the DAU/WAU/MAU windows it rebuilds after it must end by LAST_DAY. */
export const LAST_RECOMPUTABLE_DAY = addDays(LAST_DAY, -(ACTIVITY_WINDOW_DAYS - 1));

/**
 * What is wrong with recomputing the days `from`..`to` (supported days, as
 * isIsoDay checks), if anything. A run derives days too: the DAU/WAU/MAU of
 * the 27 days after `to`, which must be supported days as well.
 */
export function aggregationRangeProblem(from: string, to: string): string | undefined {
  if (to < from) return `to (${to}) is before from (${from})`;
  if (!canAddDays(to, ACTIVITY_WINDOW_DAYS - 1)) {
    return `to (${to}) is after ${LAST_RECOMPUTABLE_DAY}: a run also recomputes the DAU/WAU/MAU of the ${ACTIVITY_WINDOW_DAYS - 1} days after it, which must end by the last supported day, ${LAST_DAY}`;
  }
  return undefined;
}

export interface AggregationRequest {
  /** Who asked, recorded with the run: `cli`, `schedule`, `api`, `demo`. */
  trigger: string;
  /** Recompute every day. */
  full?: boolean;
  /** Recompute exactly these days (both given, from <= to). */
  from?: string;
  to?: string;
  /** Wait for a concurrent run to finish instead of skipping. */
  waitForLock?: boolean;
}

export interface AggregationRunView {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  mode: AggregationMode;
  trigger: string;
  fromDay: string | null;
  toDay: string | null;
  days: number;
  rows: number;
  durationMs: number | null;
  status: 'running' | 'succeeded' | 'failed';
  error: string | null;
}

export type AggregationOutcome = { status: 'skipped'; reason: string } | { status: 'succeeded' | 'failed'; run: AggregationRunView };

interface StoredState {
  timezone: string;
  changesSeenUntil: Date;
  botUserIds: string[];
}

interface Plan {
  mode: AggregationMode;
  /** Days to rebuild; every day when undefined (full). */
  days?: string[];
  /** Why a full run was chosen, for the log. */
  reason?: string;
}

/** QueryRunner.query: rows, or TypeORM's QueryResult when `structured`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Query = (sql: string, parameters?: unknown[], structured?: boolean) => Promise<any>;

export const RUN_COLUMNS = `
  id::int AS id, started_at AS "startedAt", finished_at AS "finishedAt", mode, trigger,
  from_day::text AS "fromDay", to_day::text AS "toDay", days, rows, duration_ms AS "durationMs", status, error`;

/**
 * Rebuilds rollups from raw messages, once per cluster at a time (advisory
 * lock on the connection that does the work). By default only the days
 * touched since the previous run are rebuilt: days of messages whose
 * `updated_at` moved, the parents' days of changed replies, and every day of
 * a user whose bot status changed.
 */
@Injectable()
export class AggregationService {
  private readonly logger = new Logger('Aggregation');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    private readonly cache: RollupCache,
  ) {}

  async run(request: AggregationRequest): Promise<AggregationOutcome> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      if (request.waitForLock) {
        await runner.query('SELECT pg_advisory_lock($1)', [AGGREGATION_LOCK_KEY]);
      } else {
        const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [AGGREGATION_LOCK_KEY]);
        if (!locked) return { status: 'skipped', reason: 'another aggregation run is in progress' };
      }
      try {
        return await this.runLocked(runner, request);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [AGGREGATION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  private async runLocked(runner: QueryRunner, request: AggregationRequest): Promise<AggregationOutcome> {
    const timezone = this.config.metrics.timezone;
    const startedAt = process.hrtime.bigint();
    // Holding the lock, any run still marked running was cut short (killed pod, lost connection).
    await runner.query(
      `UPDATE aggregation_runs SET status = 'failed', finished_at = now(), error = 'interrupted before it finished' WHERE status = 'running'`,
    );
    const state = await this.readState(runner);
    const mode: AggregationMode = !state || state.timezone !== timezone || request.full ? 'full' : request.from ? 'range' : 'incremental';
    const [{ id }] = await runner.query(
      `INSERT INTO aggregation_runs (mode, trigger, status) VALUES ($1, $2, 'running') RETURNING id::int AS id`,
      [mode, request.trigger],
    );
    try {
      // Read before anything else: every change not visible to the reads below is newer than this.
      const [{ seenUntil }] = await runner.query(
        `SELECT least(now(), (
           SELECT min(xact_start) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
         )) AS "seenUntil"`,
      );
      const [{ botUserIds }] = await runner.query(
        `SELECT coalesce(array_agg(id ORDER BY id), '{}') AS "botUserIds" FROM users WHERE is_bot`,
      );
      const plan = await this.plan(runner, mode, request, state, botUserIds, timezone);
      if (plan.reason) this.logger.log(`full recomputation: ${plan.reason}`);

      await runner.startTransaction();
      const written = plan.days?.length === 0 ? { rows: 0, fromDay: null, toDay: null, days: 0 } : await this.rebuild(runner, plan, timezone);
      // A range run leaves other days as they were, so it must not move the watermark past their changes.
      const advance = mode !== 'range';
      await runner.query(
        `INSERT INTO aggregation_state (id, timezone, changes_seen_until, bot_user_ids, generation, updated_at)
         VALUES (true, $1, $2, $3, 1, now())
         ON CONFLICT (id) DO UPDATE SET
           timezone = excluded.timezone,
           changes_seen_until = CASE WHEN $4 THEN excluded.changes_seen_until ELSE aggregation_state.changes_seen_until END,
           bot_user_ids = CASE WHEN $4 THEN excluded.bot_user_ids ELSE aggregation_state.bot_user_ids END,
           generation = aggregation_state.generation + CASE WHEN $5 THEN 1 ELSE 0 END,
           updated_at = now()`,
        [timezone, seenUntil, botUserIds, advance, mode === 'full' || written.days > 0],
      );
      const changed = mode === 'full' || written.days > 0;
      // Delivered at commit: API processes drop their cached answers.
      if (changed) await runner.query('SELECT pg_notify($1, $2)', [ROLLUPS_CHANGED_CHANNEL, String(id)]);
      await runner.commitTransaction();
      if (changed) this.cache.invalidate();
      const durationMs = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
      const {
        records: [run],
      } = await runner.query(
        `UPDATE aggregation_runs
         SET status = 'succeeded', finished_at = now(), from_day = $2, to_day = $3, days = $4, rows = $5, duration_ms = $6
         WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
        [id, written.fromDay, written.toDay, written.days, written.rows, durationMs],
        true,
      );
      this.metrics.recordAggregation('succeeded', durationMs / 1000, written.rows);
      this.logger.log(
        `${mode} run ${id}: ${written.days} day(s)${written.fromDay ? ` ${written.fromDay}..${written.toDay}` : ''}, ${written.rows} rows in ${durationMs} ms`,
      );
      return { status: 'succeeded', run: toView(run) };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      const durationMs = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
      const message = error instanceof Error ? error.message : String(error);
      const {
        records: [run],
      } = await runner.query(
        `UPDATE aggregation_runs SET status = 'failed', finished_at = now(), duration_ms = $2, error = $3 WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
        [id, durationMs, message],
        true,
      );
      this.metrics.recordAggregation('failed', durationMs / 1000, 0);
      this.logger.error(`${mode} run ${id} failed: ${message}`);
      return { status: 'failed', run: toView(run) };
    }
  }

  private async readState(runner: QueryRunner): Promise<StoredState | undefined> {
    const rows: StoredState[] = await runner.query(
      `SELECT timezone, changes_seen_until AS "changesSeenUntil", bot_user_ids AS "botUserIds" FROM aggregation_state`,
    );
    return rows[0];
  }

  private async plan(
    runner: QueryRunner,
    mode: AggregationMode,
    request: AggregationRequest,
    state: StoredState | undefined,
    botUserIds: string[],
    timezone: string,
  ): Promise<Plan> {
    if (mode === 'full') {
      const reason = !state ? 'no earlier run' : state.timezone !== timezone ? `METRICS_TIMEZONE changed from ${state.timezone} to ${timezone}` : undefined;
      return { mode, reason };
    }
    if (mode === 'range') {
      const to = request.to ?? request.from!;
      const problem = aggregationRangeProblem(request.from!, to);
      if (problem) throw new RangeError(problem);
      return { mode, days: eachDay(request.from!, to) };
    }

    const previousBots = new Set(state!.botUserIds);
    const currentBots = new Set(botUserIds);
    const reclassified = [...botUserIds.filter((user) => !previousBots.has(user)), ...state!.botUserIds.filter((user) => !currentBots.has(user))];
    const touched: Array<{ day: string }> = await runner.query(
      `SELECT DISTINCT day::text AS day FROM (
         SELECT ${localDay('m.posted_at')} AS day FROM messages m WHERE m.updated_at > $2::timestamptz - interval '${RESCAN_OVERLAP}'
         UNION ALL
         -- a changed reply changes its thread's first-reply time, on the parent's day (ts encodes the posting time)
         SELECT ${localDay('to_timestamp(m.thread_ts::double precision)')} FROM messages m
         WHERE m.updated_at > $2::timestamptz - interval '${RESCAN_OVERLAP}' AND ${isThreadReply('m')}
         UNION ALL
         -- a user who became or stopped being a bot changes every day they posted or reacted on
         SELECT ${localDay('m.posted_at')} FROM messages m
         WHERE cardinality($3::text[]) > 0 AND (m.user_id = ANY($3::text[]) OR m.reactors && $3::text[])
       ) touched ORDER BY day`,
      [timezone, state!.changesSeenUntil, reclassified],
    );
    return { mode, days: touched.map((row) => row.day) };
  }

  /** Deletes and rebuilds the rollups of the planned days, inside the caller's transaction. */
  private async rebuild(
    runner: QueryRunner,
    plan: Plan,
    timezone: string,
  ): Promise<{ rows: number; fromDay: string | null; toDay: string | null; days: number }> {
    const scope: RollupScope = plan.days ? 'days' : 'all';
    // Each statement's time at debug level: where a run's time goes.
    const query: Query = async (sql, parameters, structured) => {
      const started = process.hrtime.bigint();
      const result = structured ? await runner.query(sql, parameters, true) : await runner.query(sql, parameters);
      this.logger.debug(`${Number((process.hrtime.bigint() - started) / 1_000_000n)} ms: ${sql.trim().replace(/\s+/g, ' ').slice(0, 100)}`);
      return result;
    };
    let rows = 0;
    // A partial run's new rows into the rollup table; a full run has written them already.
    const apply = async (table: (typeof ROLLUP_TABLES)[number], parameters: unknown[] = []): Promise<void> => {
      // Temporary tables have no statistics until analysed; without them the comparison below can go quadratic.
      await query(`ANALYZE next_${table}`);
      for (const statement of applyStatements(table)) {
        const result = await query(statement, statement.startsWith('INSERT') ? [] : parameters, true);
        if (statement.startsWith('INSERT')) rows += result.affected ?? 0;
      }
    };
    await query(`SET LOCAL work_mem = '${AGGREGATION_WORK_MEM}'`);
    // Nothing is lost by a crash before the commit is flushed: the run is recomputed from raw messages.
    await query(`SET LOCAL synchronous_commit = off`);
    // Rebuilding every row: indexes, primary keys included, are dropped and built again at the end,
    // far cheaper than row-by-row upkeep.
    let indexes: string[] = [];
    if (scope === 'all') {
      await query(TRUNCATE_ROLLUPS);
      indexes = await this.dropIndexes(query);
      // Group by hashing: the planner overestimates the groups of the run's temporary tables and would sort them.
      await query(`SET LOCAL enable_sort = off`);
    } else {
      await query(CREATE_SCOPE_DAYS, [plan.days]);
      await query(CREATE_SCOPE_RANGES, [timezone]);
      await query('ANALYZE scope_days, scope_ranges');
    }
    await query(runMessagesStatement(scope), [timezone]);
    if (scope === 'days') await query('ANALYZE run_messages');
    // On a full run each of these inserts into its emptied rollup table; on a partial run it fills next_<table>.
    for (const statement of [threadsStatement, channelDaysStatement, teamHoursStatement, memberChannelDaysStatement, memberDaysStatement]) {
      const result = await query(statement(scope), [], true);
      if (scope === 'all') rows += result.affected ?? 0;
    }
    if (scope === 'all') await query(`SET LOCAL enable_sort = on`);
    if (scope === 'days') {
      for (const table of ['thread_rollups', 'channel_day_rollups', 'team_hour_rollups', 'member_channel_day_rollups', 'member_day_rollups'] as const) {
        await apply(table);
      }
    }

    const [bounds] = plan.days
      ? [{ first: plan.days[0], last: plan.days[plan.days.length - 1], count: plan.days.length }]
      : await query(`SELECT min(day)::text AS first, max(day)::text AS last, count(DISTINCT day)::int AS count FROM channel_day_rollups`);
    if (bounds.first) {
      // A day's activity counts in the WAU/MAU of the 27 days after it.
      const activityTo = addDays(bounds.last, ACTIVITY_WINDOW_DAYS - 1);
      const written = await query(activityStatement(scope), [bounds.first, activityTo], true);
      if (scope === 'all') rows += written.affected ?? 0;
      else await apply('team_activity_rollups', [bounds.first, activityTo]);
    }
    for (const statement of indexes) await query(statement);
    if (scope === 'all') {
      // Fresh statistics for the API's plans after replacing every row. A small sample is enough
      // for its range and id lookups, and autovacuum refines it with the default sample soon after.
      await query(`SET LOCAL default_statistics_target = ${FULL_RUN_STATISTICS_TARGET}`);
      for (const table of ROLLUP_TABLES) await query(`ANALYZE ${table}`);
    }
    return { rows, fromDay: bounds.first ?? null, toDay: bounds.last ?? null, days: bounds.count ?? 0 };
  }

  /**
   * Drops every index of the rollup tables, primary keys included, and
   * returns the statements that build them again as they were.
   */
  private async dropIndexes(query: Query): Promise<string[]> {
    const constraints: Array<{ table: string; name: string; definition: string }> = await query(
      `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text = ANY($1) AND contype IN ('p', 'u')`,
      [ROLLUP_TABLES],
    );
    const indexes: Array<{ name: string; definition: string }> = await query(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = ANY($1)
         AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace)`,
      [ROLLUP_TABLES],
    );
    for (const constraint of constraints) await query(`ALTER TABLE ${constraint.table} DROP CONSTRAINT ${constraint.name}`);
    for (const index of indexes) await query(`DROP INDEX ${index.name}`);
    return [
      ...constraints.map((constraint) => `ALTER TABLE ${constraint.table} ADD CONSTRAINT ${constraint.name} ${constraint.definition}`),
      ...indexes.map((index) => index.definition),
    ];
  }

  async recentRuns(limit: number): Promise<AggregationRunView[]> {
    const rows = await this.dataSource.query(`SELECT ${RUN_COLUMNS} FROM aggregation_runs ORDER BY started_at DESC, id DESC LIMIT $1`, [limit]);
    return rows.map(toView);
  }
}

function toView(row: Record<string, unknown>): AggregationRunView {
  return {
    ...(row as unknown as AggregationRunView),
    startedAt: (row.startedAt as Date).toISOString(),
    finishedAt: row.finishedAt ? (row.finishedAt as Date).toISOString() : null,
  };
}
