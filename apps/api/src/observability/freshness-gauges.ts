import { CatalogueQueries, Freshness } from '@app/metrics';
import { Telemetry } from '@app/observability';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

const SNAPSHOT_TTL_MS = 1000;

/** The stored activity's freshness as gauges, read from the database when Prometheus scrapes. */
@Injectable()
export class FreshnessGauges implements OnModuleInit {
  private readonly logger = new Logger('FreshnessGauges');
  private cached?: { at: number; freshness: Promise<Freshness | undefined> };

  constructor(
    private readonly telemetry: Telemetry,
    private readonly dataSource: DataSource,
    private readonly catalogue: CatalogueQueries,
  ) {}
  onModuleInit(): void {
    const gauge = (name: string, help: string, value: (freshness: Freshness | undefined) => number | null) => {
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
    gauge('slack_metrics_database_up', '1 when the database answered the last scrape', (freshness) => (freshness ? 1 : 0));
    gauge('slack_metrics_collected_channels', 'Channels with collection state', (freshness) => freshness?.channels ?? null);
    gauge(
      'slack_metrics_collection_failing_channels',
      'Channels whose last collection attempt failed',
      (freshness) => freshness?.failingChannels ?? null,
    );
    gauge(
      'slack_metrics_collection_lag_seconds',
      'Largest time since the newest collected message, over all channels',
      (freshness) => freshness?.maxLagSeconds ?? null,
    );
    gauge(
      'slack_metrics_collection_last_success_timestamp_seconds',
      'Unix time of the most recent successful channel collection',
      (freshness) => freshness?.lastCollectSuccess ?? null,
    );
    gauge(
      'slack_metrics_aggregation_last_run_success_timestamp_seconds',
      'Unix time at which the most recent successful aggregation run finished',
      (freshness) => freshness?.lastAggregationSuccess ?? null,
    );
    gauge('slack_metrics_aggregation_last_run_failed', '1 when the most recent aggregation run failed', (freshness) =>
      typeof freshness?.lastAggregationFailed === 'boolean' ? Number(freshness.lastAggregationFailed) : null,
    );
  }

  /** Every gauge of one scrape reads the same query result; a scrape's gauges collect concurrently. */
  private snapshot(): Promise<Freshness | undefined> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > SNAPSHOT_TTL_MS) this.cached = { at: now, freshness: this.read() };
    return this.cached.freshness;
  }

  private async read(): Promise<Freshness | undefined> {
    if (!this.dataSource.isInitialized) return undefined;
    try {
      return await this.catalogue.freshness();
    } catch (error) {
      this.logger.warn(`freshness query failed: ${(error as Error).message}`);
      return undefined;
    }
  }
}
