import { AppConfig } from '@app/config';
import { DayRange, RollupCache, addDays } from '@app/metrics';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { resolveRange } from '../common/date-range';
import { DEFAULT_RANGE_DAYS } from '../common/query.dto';
import { MetricsAnswers } from './metrics-answers';

/** The rows the dashboard's tables ask for first (TABLE_PAGE_ROWS in apps/dashboard/src/state.ts). */
const DASHBOARD_TABLE_ROWS = 50;

/**
 * After each aggregation run, computes what the dashboard asks first (its opening range, the last
 * 30 days, for each view) for the first CACHE_WARM_WORKSPACES workspaces, so that the first reader
 * does not wait for the queries. Bounded: one query at a time, the same work per run whatever the
 * number of workspaces, and a run that is superseded by a newer change stops where it is.
 */
@Injectable()
export class CacheWarmUp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CacheWarmUp');
  private generation = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly answers: MetricsAnswers,
    private readonly cache: RollupCache,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.metrics.warmWorkspaces > 0) this.cache.onEmptied(() => this.schedule());
  }

  onApplicationShutdown(): void {
    this.generation++;
  }

  /** Queued behind the run in flight, which the new generation makes stop at its next question. */
  private schedule(): void {
    const generation = ++this.generation;
    this.queue = this.queue.then(() => this.warm(generation));
  }

  private async warm(generation: number): Promise<void> {
    const current = () => generation === this.generation;
    try {
      if (!current()) return;
      const range = resolveRange({}, this.config.metrics.timezone);
      for (const teamId of (await this.answers.workspaceIds()).slice(0, this.config.metrics.warmWorkspaces)) {
        for (const ask of this.questions(teamId, range)) {
          if (!current()) return;
          await ask();
        }
      }
    } catch (error) {
      // The reader who asks later computes it again and sees the error, if it is one.
      this.logger.warn(`warming the cache stopped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** In the order a reader opening the dashboard meets them: Overview, Channels, Members, When. */
  private questions(teamId: string, range: DayRange): Array<() => Promise<unknown>> {
    // The headline cards compare with the range of equal length before.
    const previous = { from: addDays(range.from, -DEFAULT_RANGE_DAYS), to: addDays(range.from, -1) };
    return [
      () => this.answers.summary(teamId, range),
      () => this.answers.summary(teamId, previous),
      () => this.answers.activeMembers(teamId, range),
      () => this.answers.series(teamId, range, 'day'),
      () => this.answers.channels(teamId, range, '-messages', DASHBOARD_TABLE_ROWS),
      () => this.answers.users(teamId, range, '-messages', DASHBOARD_TABLE_ROWS),
      () => this.answers.heatmap(teamId, range),
    ];
  }
}
