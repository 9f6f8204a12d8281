import { loadConfig } from '@app/config';
import { DatabaseConnector, runPendingMigrations } from '@app/db';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createApiApplication } from '../apps/api/src/bootstrap';
import { createTestDatabase, TestDatabase } from './support/database';

/**
 * The chart's Grafana dashboard and PrometheusRule against what the API really
 * exports: every `slack_metrics_*` name they query must be a metric family of a
 * live /metrics scrape, so a renamed metric cannot leave a blank panel or an
 * alert that never fires. The names are read from the two source files the
 * chart renders (test/chart/ checks that every rendered name is written
 * literally there, and that every expression is valid PromQL).
 */
const CHART = join(__dirname, '..', 'charts', 'slack-metrics');
const DASHBOARD_FILE = join(CHART, 'dashboards', 'slack-metrics.json');
const RULES_FILE = join(CHART, 'templates', 'prometheusrule.yaml');

const ALERTS = [
  'SlackMetricsDatabaseNotReady',
  'SlackMetricsHigh5xxRate',
  'SlackMetricsMetricsAbsent',
  'SlackMetricsCollectionStale',
  'SlackMetricsCollectionFailingChannels',
  'SlackMetricsAggregationFailing',
];

/**
 * Counted only inside the process that did the work. The collect and aggregate
 * CronJobs exit before any scrape, so an alert on these would watch the API's
 * own (mostly idle) counters; freshness alerts use the database-derived gauges.
 */
const PER_PROCESS_WORKER_METRICS = [
  'slack_metrics_aggregation_last_success_timestamp_seconds',
  'slack_metrics_aggregation_duration_seconds',
  'slack_metrics_aggregation_rows_total',
  'slack_metrics_messages_stored_total',
  'slack_metrics_slack_api_calls_total',
  'slack_metrics_slack_rate_limit_wait_seconds_total',
];

const METRIC_NAME = /(?<![A-Za-z0-9_:])slack_metrics_[A-Za-z0-9_:]+/g;
const SERIES_SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { refId?: string; expr?: string; datasource?: { type?: string; uid?: string } }[];
  panels?: Panel[];
}

interface TemplateVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: TemplateVariable[] };
}

/** Metric family name -> type, from the `# TYPE` lines of an exposition. */
function metricFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
  return families;
}

/** Every series name a family can be queried by (`x_bucket`, `x_sum`, `x_count` for a histogram). */
function queryableNames(families: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [family, type] of families) {
    names.add(family);
    for (const suffix of SERIES_SUFFIXES[type] ?? []) names.add(family + suffix);
  }
  return names;
}

function metricNamesIn(expressions: string[]): string[] {
  return [...new Set(expressions.flatMap((expression) => expression.match(METRIC_NAME) ?? []))].sort();
}

/** The PromQL of every `expr:` in the rule template, block scalar or single line. */
function ruleExpressions(template: string): string[] {
  const lines = template.split('\n');
  const expressions: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const match = /^(\s*)expr:\s*(.*)$/.exec(lines[index]);
    if (!match) continue;
    const [, indent, rest] = match;
    if (!/^[|>][-+]?$/.test(rest.trim())) {
      expressions.push(rest);
      continue;
    }
    const block: string[] = [];
    while (index + 1 < lines.length && (lines[index + 1].trim() === '' || lines[index + 1].search(/\S/) > indent.length)) {
      block.push(lines[++index]);
    }
    expressions.push(block.join('\n'));
  }
  return expressions;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

function variableQuery(variable: TemplateVariable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
}

describe('monitoring: the chart dashboard and alerts against the exported metrics', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let families: Map<string, string>;
  let exported: Set<string>;
  const dashboardText = readFileSync(DASHBOARD_FILE, 'utf8');
  const rulesTemplate = readFileSync(RULES_FILE, 'utf8');

  beforeAll(async () => {
    database = await createTestDatabase('monitoring');
    const config = loadConfig({
      DATABASE_URL: database.url,
      API_TOKENS: 'read-token-monitoring-0001',
      API_ADMIN_TOKENS: 'admin-token-monitoring-0002',
      SLACK_SIGNING_SECRET: 'signing-secret-monitoring',
      LOG_LEVEL: 'warn',
    });
    app = await createApiApplication(config, new PassThrough().resume());
    await runPendingMigrations(await app.get(DatabaseConnector).connect());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    // One request, so the request histogram has a series as well as its TYPE line.
    await app.inject({ method: 'GET', url: '/health/live' });
    const scrape = await app.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    families = metricFamilies(scrape.body);
    exported = queryableNames(families);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('reads the scrape the way Prometheus does', () => {
    expect(families.get('slack_metrics_http_request_duration_seconds')).toBe('histogram');
    expect(families.get('slack_metrics_messages_stored_total')).toBe('counter');
    expect(families.get('slack_metrics_database_up')).toBe('gauge');
    expect(exported.has('slack_metrics_http_request_duration_seconds_bucket')).toBe(true);
    expect(exported.has('slack_metrics_database_up_count')).toBe(false);
    expect(metricNamesIn(['rate(slack_metrics_a_total[5m]) / xslack_metrics_b'])).toEqual(['slack_metrics_a_total']);
  });

  describe('the Grafana dashboard', () => {
    const dashboard = JSON.parse(dashboardText) as Dashboard;
    const panels = allPanels(dashboard.panels ?? []);
    const queryPanels = panels.filter((panel) => panel.type !== 'row');
    const variables = dashboard.templating?.list ?? [];

    it('is a Grafana dashboard with a Prometheus datasource variable and namespace/job variables', () => {
      expect(dashboard.uid).toBe('slack-metrics');
      expect(dashboard.title).toBeTruthy();
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(variables.find((variable) => variable.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const name of ['namespace', 'job']) {
        const variable = variables.find((candidate) => candidate.name === name);
        expect(variable).toMatchObject({ type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' } });
      }
    });

    it('gives every panel a unique id and a place on the 24-column grid, without overlaps', () => {
      expect(queryPanels.length).toBeGreaterThanOrEqual(15);
      const ids = panels.map((panel) => panel.id);
      expect(ids.every((id) => Number.isInteger(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of panels) {
        const grid = panel.gridPos;
        expect({ title: panel.title, grid }).toEqual({
          title: panel.title,
          grid: expect.objectContaining({ x: expect.any(Number), y: expect.any(Number) }),
        });
        expect(grid!.w).toBeGreaterThan(0);
        expect(grid!.h).toBeGreaterThan(0);
        expect(grid!.x + grid!.w).toBeLessThanOrEqual(24);
      }
      const overlapping: string[] = [];
      panels.forEach((a, i) =>
        panels.slice(i + 1).forEach((b) => {
          const [p, q] = [a.gridPos!, b.gridPos!];
          if (p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h) overlapping.push(`${a.title} / ${b.title}`);
        }),
      );
      expect(overlapping).toEqual([]);
    });

    it('queries the datasource variable from every panel, with a PromQL expression per target', () => {
      for (const panel of queryPanels) {
        const where = `panel "${panel.title}"`;
        expect({ where, datasource: panel.datasource }).toEqual({ where, datasource: { type: 'prometheus', uid: '${datasource}' } });
        expect({ where, targets: (panel.targets?.length ?? 0) > 0 }).toEqual({ where, targets: true });
        const refIds = panel.targets!.map((target) => target.refId);
        expect(new Set(refIds).size).toBe(refIds.length);
        for (const target of panel.targets!) {
          expect({ where, expr: typeof target.expr === 'string' && target.expr.trim().length > 0 }).toEqual({ where, expr: true });
          expect({ where, datasource: target.datasource }).toEqual({ where, datasource: { type: 'prometheus', uid: '${datasource}' } });
        }
      }
    });

    it('uses only variables it defines', () => {
      const defined = new Set(variables.map((variable) => variable.name));
      const expressions = [
        ...queryPanels.flatMap((panel) => panel.targets!.map((target) => target.expr!)),
        ...variables.map(variableQuery),
      ];
      const used = new Set(expressions.flatMap((expression) => [...expression.matchAll(/\$\{?(\w+)\}?/g)].map((match) => match[1])));
      expect([...used].filter((name) => !name.startsWith('__') && !defined.has(name))).toEqual([]);
    });

    it('queries only metrics the API exports', () => {
      const expressions = [
        ...queryPanels.flatMap((panel) => panel.targets!.map((target) => target.expr!)),
        ...variables.map(variableQuery),
      ];
      const names = metricNamesIn(expressions);
      expect(names.length).toBeGreaterThanOrEqual(15);
      expect(names.filter((name) => !exported.has(name))).toEqual([]);
    });
  });

  describe('the PrometheusRule', () => {
    const expressions = ruleExpressions(rulesTemplate);

    it('defines every alert of the runbook, each with one expression', () => {
      const alerts = [...rulesTemplate.matchAll(/^\s*- alert: (\S+)$/gm)].map((match) => match[1]);
      expect(alerts).toEqual(ALERTS);
      expect(expressions).toHaveLength(ALERTS.length);
    });

    it('queries only metrics the API exports', () => {
      const names = metricNamesIn(expressions);
      expect(names.filter((name) => !exported.has(name))).toEqual([]);
      expect(names).toEqual(
        expect.arrayContaining([
          'slack_metrics_database_up',
          'slack_metrics_http_request_duration_seconds_count',
          'slack_metrics_collection_last_success_timestamp_seconds',
          'slack_metrics_collection_failing_channels',
          'slack_metrics_aggregation_last_run_failed',
          'slack_metrics_aggregation_last_run_success_timestamp_seconds',
        ]),
      );
    });

    it('judges freshness by the database-derived gauges, not by counters of short-lived worker processes', () => {
      const names = metricNamesIn(expressions);
      const familyOf = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
      expect(names.filter((name) => PER_PROCESS_WORKER_METRICS.includes(familyOf(name)))).toEqual([]);
    });
  });
});
