import { Telemetry } from '@app/observability';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

const SNAPSHOT_TTL_MS = 1000;

interface FreshnessRow {
  channels: string;
  failing_channels: string;
  max_lag_seconds: number | null;
  last_collect_success: number | null;
  last_aggregation_success: number | null;
  last_aggregation_failed: boolean | null;
}

/**
 * Freshness read from the database at scrape time, so it is right whichever
 * process (a CronJob pod, `worker run`) did the collecting or aggregating.
 */
@Injectable()
export class FreshnessGauges implements OnModuleInit {
  private readonly logger = new Logger('FreshnessGauges');
  private cached?: { at: number; row: Promise<FreshnessRow | undefined> };

  constructor(
    private readonly telemetry: Telemetry,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const gauge = (name: string, help: string, value: (row: FreshnessRow | undefined) => number | null) => {
      const instance: Gauge = new Gauge({
        name,
        help,
        registers: [this.telemetry.registry],
        collect: async () => {
          const current = value(await this.snapshot());
          if (current === null) instance.reset();
          else instance.set(current);
        },
      });
    };
    gauge('slack_metrics_database_up', '1 when the database answered the last scrape', (row) => (row ? 1 : 0));
    gauge('slack_metrics_collected_channels', 'Channels with collection state', (row) => (row ? Number(row.channels) : null));
    gauge('slack_metrics_collection_failing_channels', 'Channels whose last collection attempt failed', (row) =>
      row ? Number(row.failing_channels) : null,
    );
    gauge('slack_metrics_collection_lag_seconds', 'Largest time since the newest collected message, over all channels', (row) =>
      row?.max_lag_seconds ?? null,
    );
    gauge('slack_metrics_collection_last_success_timestamp_seconds', 'Unix time of the most recent successful channel collection', (row) =>
      row?.last_collect_success ?? null,
    );
    gauge(
      'slack_metrics_aggregation_last_run_success_timestamp_seconds',
      'Unix time at which the most recent successful aggregation run finished',
      (row) => row?.last_aggregation_success ?? null,
    );
    gauge('slack_metrics_aggregation_last_run_failed', '1 when the most recent aggregation run failed', (row) =>
      row?.last_aggregation_failed === null || row?.last_aggregation_failed === undefined ? null : row.last_aggregation_failed ? 1 : 0,
    );
  }

  /** Every gauge of one scrape reads the same query result; a scrape's gauges collect concurrently. */
  private snapshot(): Promise<FreshnessRow | undefined> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > SNAPSHOT_TTL_MS) this.cached = { at: now, row: this.read() };
    return this.cached.row;
  }

  private async read(): Promise<FreshnessRow | undefined> {
    if (!this.dataSource.isInitialized) return undefined;
    try {
      const runsTable = await this.dataSource.query(`SELECT to_regclass('aggregation_runs') IS NOT NULL AS present`);
      const aggregation = runsTable[0].present
        ? `(SELECT extract(epoch FROM finished_at)::float8 FROM aggregation_runs WHERE status = 'succeeded' ORDER BY finished_at DESC LIMIT 1) AS last_aggregation_success,
           (SELECT status = 'failed' FROM aggregation_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1) AS last_aggregation_failed`
        : 'NULL::float8 AS last_aggregation_success, NULL::boolean AS last_aggregation_failed';
      const rows: FreshnessRow[] = await this.dataSource.query(`
        SELECT count(*) AS channels,
               count(*) FILTER (WHERE last_error_at IS NOT NULL AND (last_success_at IS NULL OR last_error_at > last_success_at)) AS failing_channels,
               max(extract(epoch FROM now()) - newest_ts::numeric)::float8 AS max_lag_seconds,
               max(extract(epoch FROM last_success_at))::float8 AS last_collect_success,
               ${aggregation}
        FROM channel_sync_state`);
      return rows[0];
    } catch (error) {
      this.logger.warn(`freshness query failed: ${(error as Error).message}`);
      return undefined;
    }
  }
}
