import type { MessageSource } from '@app/db';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The counters this application defines, as opposed to the runtime's default ones. */
const APPLICATION_COUNTER = /^slack_metrics_(messages|events|slack|aggregation)_/;

export type SlackCallOutcome = 'ok' | 'error' | 'rate_limited';
export type RunStatus = 'succeeded' | 'failed';

/**
 * Every application metric, in one registry per process. Labels take values
 * from small fixed sets (a route template, a Slack method name, a status),
 * never ids or raw paths, so series stay bounded.
 */
@Injectable()
export class Telemetry {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'slack_metrics_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly messagesStored = new Counter({
    name: 'slack_metrics_messages_stored_total',
    help: 'Messages inserted or updated, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly eventsReceived = new Counter({
    name: 'slack_metrics_events_received_total',
    help: 'Slack Events API deliveries accepted, by event type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly eventsDeduplicated = new Counter({
    name: 'slack_metrics_events_deduplicated_total',
    help: 'Slack Events API deliveries ignored because their event_id was already processed',
    registers: [this.registry],
  });

  readonly eventsSkipped = new Counter({
    name: 'slack_metrics_events_skipped_total',
    help: 'Slack Events API deliveries acknowledged without storing anything, because no retry could make their values storable, by event type and reason',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });

  readonly slackApiCalls = new Counter({
    name: 'slack_metrics_slack_api_calls_total',
    help: 'Slack Web API calls by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly slackRateLimitWait = new Counter({
    name: 'slack_metrics_slack_rate_limit_wait_seconds_total',
    help: 'Seconds spent waiting on Slack rate limits (Retry-After)',
    registers: [this.registry],
  });

  readonly aggregationDuration = new Histogram({
    name: 'slack_metrics_aggregation_duration_seconds',
    help: 'Duration of aggregation runs by status',
    labelNames: ['status'] as const,
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  readonly aggregationRows = new Counter({
    name: 'slack_metrics_aggregation_rows_total',
    help: 'Rollup rows written by aggregation runs',
    registers: [this.registry],
  });

  readonly aggregationLastSuccess = new Gauge({
    name: 'slack_metrics_aggregation_last_success_timestamp_seconds',
    help: 'Unix time of the last successful aggregation run seen by this process',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'slack_metrics_' });
  }

  /**
   * The application counters that moved in this process, as `name{labels}`
   * → value. A worker command logs them when it ends: its pod is gone before
   * Prometheus would scrape it.
   */
  async countersSummary(): Promise<Record<string, number>> {
    const summary: Record<string, number> = {};
    for (const metric of await this.registry.getMetricsAsJSON()) {
      if (String(metric.type) !== 'counter' || !APPLICATION_COUNTER.test(metric.name)) continue;
      for (const { labels, value } of metric.values) {
        if (value === 0) continue;
        const labelText = Object.entries(labels)
          .map(([key, label]) => `${key}="${label}"`)
          .join(',');
        summary[labelText ? `${metric.name}{${labelText}}` : metric.name] = value;
      }
    }
    return summary;
  }

  recordMessagesStored(source: MessageSource, count: number): void {
    if (count > 0) this.messagesStored.inc({ source }, count);
  }

  recordSlackCall(method: string, outcome: SlackCallOutcome): void {
    this.slackApiCalls.inc({ method, outcome });
  }

  recordRateLimitWait(seconds: number): void {
    this.slackRateLimitWait.inc(seconds);
  }

  recordAggregation(status: RunStatus, durationSeconds: number, rows: number): void {
    this.aggregationDuration.observe({ status }, durationSeconds);
    if (status === 'succeeded') {
      this.aggregationRows.inc(rows);
      this.aggregationLastSuccess.set(Date.now() / 1000);
    }
  }
}
