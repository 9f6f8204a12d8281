import { AppConfig } from '@app/config';
import { ACTIVITY_WINDOW_DAYS, AGGREGATION_LOCK_KEY, AggregationMode, LAST_DAY, withAdvisoryLock, withTryAdvisoryLock } from '@app/db';
import { Telemetry } from '@app/observability';
import { Injectable, Logger } from '@nestjs/common';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { RollupCache } from '../queries/rollup-cache';
import { ROLLUPS_CHANGED_CHANNEL } from '../rollups-changed';
import { addDays, canAddDays, dayRangeProblem, eachDay } from '../calendar';
import { isThreadReply, localDay } from '../definitions';
import { FullRebuild } from './full-rebuild';
import { PartialRebuild } from './partial-rebuild';
import { Rebuilt, RebuildStrategy, timedStatements } from './rebuild';

/**
 * Changes are re-scanned this far behind the last watermark. The watermark
 * already stops at the oldest open transaction; this covers the transactions
 * pg_stat_activity hides (sessions of another role without pg_read_all_stats).
 * Overlap only recomputes a few recent days again, which is idempotent.
 */
const RESCAN_OVERLAP = '5 minutes';

/** The last day a range run may recompute: the DAU/WAU/MAU windows it rebuilds after it must end by LAST_DAY. */
export const LAST_RECOMPUTABLE_DAY = addDays(LAST_DAY, -(ACTIVITY_WINDOW_DAYS - 1));

/**
 * What is wrong with recomputing the days `from`..`to` (supported days, as
 * isIsoDay checks; at most `maxDays` of them), if anything. A run derives days
 * too: the DAU/WAU/MAU of the 27 days after `to`, which must be supported days as well.
 */
export function aggregationRangeProblem(from: string, to: string, maxDays?: number): string | undefined {
  const problem = dayRangeProblem(from, to, maxDays);
  if (problem) return problem;
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
  /** How the days are rebuilt; none when no day needs it. */
  strategy?: RebuildStrategy;
  /** Why a full run was chosen, for the log. */
  reason?: string;
}

const NOTHING_REBUILT: Rebuilt = { rows: 0, fromDay: null, toDay: null, days: 0 };

/** The select list that reads an aggregation_runs row as an AggregationRunView (timestamps still Dates). */
export const RUN_VIEW_SELECT_LIST = `
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
    private readonly telemetry: Telemetry,
    private readonly cache: RollupCache,
  ) {}

  async run(request: AggregationRequest): Promise<AggregationOutcome> {
    const work = (session: Client) => this.runLocked(session, request);
    if (request.waitForLock) return withAdvisoryLock(this.dataSource, AGGREGATION_LOCK_KEY, work);
    const outcome = await withTryAdvisoryLock(this.dataSource, AGGREGATION_LOCK_KEY, work);
    return outcome.acquired ? outcome.value : { status: 'skipped', reason: 'another aggregation run is in progress' };
  }

  /** The whole run on the session that holds the lock: the rebuild's transaction commits there. */
  private async runLocked(session: Client, request: AggregationRequest): Promise<AggregationOutcome> {
    const timezone = this.config.metrics.timezone;
    const startedAt = process.hrtime.bigint();
    // Holding the lock, any run still marked running was cut short (killed pod, lost connection).
    await session.query(
      `UPDATE aggregation_runs SET status = 'failed', finished_at = now(), error = 'interrupted before it finished' WHERE status = 'running'`,
    );
    const state = await this.readState(session);
    const mode: AggregationMode = !state || state.timezone !== timezone || request.full ? 'full' : request.from ? 'range' : 'incremental';
    const {
      rows: [{ id }],
    } = await session.query<{ id: number }>(
      `INSERT INTO aggregation_runs (mode, trigger, status) VALUES ($1, $2, 'running') RETURNING id::int AS id`,
      [mode, request.trigger],
    );
    let inTransaction = false;
    try {
      // Read before anything else: every change not visible to the reads below is newer than this.
      const {
        rows: [{ seenUntil }],
      } = await session.query<{ seenUntil: Date }>(
        `SELECT least(now(), (
           SELECT min(xact_start) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
         )) AS "seenUntil"`,
      );
      const {
        rows: [{ botUserIds }],
      } = await session.query<{ botUserIds: string[] }>(
        `SELECT coalesce(array_agg(id ORDER BY id), '{}') AS "botUserIds" FROM users WHERE is_bot`,
      );
      const plan = await this.plan(session, mode, request, state, botUserIds, timezone);
      if (plan.reason) this.logger.log(`full recomputation: ${plan.reason}`);

      await session.query('BEGIN');
      inTransaction = true;
      const written = plan.strategy ? await plan.strategy.rebuild(timedStatements(session, this.logger), timezone) : NOTHING_REBUILT;
      // A range run leaves other days as they were, so it must not move the watermark past their changes.
      const advance = mode !== 'range';
      await session.query(
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
      if (changed) await session.query('SELECT pg_notify($1, $2)', [ROLLUPS_CHANGED_CHANNEL, String(id)]);
      await session.query('COMMIT');
      inTransaction = false;
      if (changed) this.cache.invalidate();
      const durationMs = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
      const {
        rows: [run],
      } = await session.query(
        `UPDATE aggregation_runs
         SET status = 'succeeded', finished_at = now(), from_day = $2, to_day = $3, days = $4, rows = $5, duration_ms = $6
         WHERE id = $1 RETURNING ${RUN_VIEW_SELECT_LIST}`,
        [id, written.fromDay, written.toDay, written.days, written.rows, durationMs],
      );
      this.telemetry.recordAggregation('succeeded', durationMs / 1000, written.rows);
      this.logger.log(
        `${mode} run ${id}: ${written.days} day(s)${written.fromDay ? ` ${written.fromDay}..${written.toDay}` : ''}, ${written.rows} rows in ${durationMs} ms`,
      );
      return { status: 'succeeded', run: toView(run) };
    } catch (error) {
      if (inTransaction) await session.query('ROLLBACK');
      const durationMs = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
      const message = error instanceof Error ? error.message : String(error);
      const {
        rows: [run],
      } = await session.query(
        `UPDATE aggregation_runs SET status = 'failed', finished_at = now(), duration_ms = $2, error = $3 WHERE id = $1 RETURNING ${RUN_VIEW_SELECT_LIST}`,
        [id, durationMs, message],
      );
      this.telemetry.recordAggregation('failed', durationMs / 1000, 0);
      this.logger.error(`${mode} run ${id} failed: ${message}`);
      return { status: 'failed', run: toView(run) };
    }
  }

  private async readState(session: Client): Promise<StoredState | undefined> {
    const { rows } = await session.query<StoredState>(
      `SELECT timezone, changes_seen_until AS "changesSeenUntil", bot_user_ids AS "botUserIds" FROM aggregation_state`,
    );
    return rows[0];
  }

  private async plan(
    session: Client,
    mode: AggregationMode,
    request: AggregationRequest,
    state: StoredState | undefined,
    botUserIds: string[],
    timezone: string,
  ): Promise<Plan> {
    if (mode === 'full') {
      const reason = !state
        ? 'no earlier run'
        : state.timezone !== timezone
          ? `METRICS_TIMEZONE changed from ${state.timezone} to ${timezone}`
          : undefined;
      return { strategy: new FullRebuild(), reason };
    }
    if (mode === 'range') {
      const to = request.to ?? request.from!;
      const problem = aggregationRangeProblem(request.from!, to);
      if (problem) throw new RangeError(problem);
      return { strategy: new PartialRebuild(eachDay(request.from!, to)) };
    }

    const previousBots = new Set(state!.botUserIds);
    const currentBots = new Set(botUserIds);
    const reclassified = [
      ...botUserIds.filter((user) => !previousBots.has(user)),
      ...state!.botUserIds.filter((user) => !currentBots.has(user)),
    ];
    const { rows: touched } = await session.query<{ day: string }>(
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
    return { strategy: touched.length > 0 ? new PartialRebuild(touched.map((row) => row.day)) : undefined };
  }

  async recentRuns(limit: number): Promise<AggregationRunView[]> {
    const rows = await this.dataSource.query(
      `SELECT ${RUN_VIEW_SELECT_LIST} FROM aggregation_runs ORDER BY started_at DESC, id DESC LIMIT $1`,
      [limit],
    );
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
