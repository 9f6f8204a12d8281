/**
 * The chart against the code it deploys and the documents it points to, on
 * `helm template` output parsed as YAML. The stock linters (helm lint, ct lint,
 * helm-unittest, kubeconform, kube-score, helm-docs, yamllint, shellcheck,
 * hadolint, actionlint) run beside this as make targets; see `make test-chart`.
 */
import { environmentVariableNames, EnvironmentVariables } from '@app/config';
import { PATH_METADATA } from '@nestjs/common/constants';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { HealthController } from '../../apps/api/src/health/health.controller';
import { REPO_ROOT } from '../support/processes';
import { CHART_DIR, Manifest, renderChart, tool } from '../support/tools';
import { checkPromql, isPrometheusDuration } from './promql';

const run = promisify(execFile);
const NAMESPACE = 'slack-metrics';
const WORKER_ENTRY = 'dist/apps/worker/main.js';
const API_ENTRY = 'dist/apps/api/main.js';
/** Commands the chart must run: the migration Job and the two CronJobs. */
const SCHEDULED_COMMANDS = ['migrate', 'aggregate', 'collect'];
const EXPECTED_ALERTS = [
  'SlackMetricsAggregationFailing',
  'SlackMetricsCollectionFailingChannels',
  'SlackMetricsCollectionStale',
  'SlackMetricsDatabaseNotReady',
  'SlackMetricsHigh5xxRate',
  'SlackMetricsMetricsAbsent',
];

interface EnvVar {
  name: string;
}
interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string; query?: { query: string } }[] };
}

function render(valuesFile: string): Manifest[] {
  return renderChart(['--namespace', NAMESPACE, '-f', join(CHART_DIR, valuesFile)]);
}

type Template = { spec: PodSpec };
type WorkloadSpec = { template: Template; jobTemplate: { spec: { template: Template } } };

function podSpec(manifest: Manifest): PodSpec | undefined {
  const spec = manifest.spec as WorkloadSpec | undefined;
  switch (manifest.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'Job':
      return spec?.template.spec;
    case 'CronJob':
      return spec?.jobTemplate.spec.template.spec;
    case 'Pod':
      return spec as unknown as PodSpec;
    default:
      return undefined;
  }
}

/** Containers that run the app image's entry points (and the init container that waits for its database). */
function appContainers(manifests: Manifest[]): { where: string; container: Container }[] {
  return manifests.flatMap((manifest) => {
    const spec = podSpec(manifest);
    const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
    return containers
      .filter((container) => container.args?.[0]?.startsWith('dist/apps/') || container.name === 'wait-for-db')
      .map((container) => ({ where: `${manifest.kind}/${manifest.metadata.name}`, container }));
  });
}

/** Routes of a Nest controller, from the metadata its @Controller and @Get decorators set. */
function routesOf(controller: new (...args: never[]) => unknown): string[] {
  const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string;
  return Object.getOwnPropertyNames(controller.prototype)
    .filter((method) => method !== 'constructor')
    .map((method) => Reflect.getMetadata(PATH_METADATA, controller.prototype[method]) as string | undefined)
    .filter((path): path is string => path !== undefined)
    .map((path) => `/${[prefix, path].filter(Boolean).join('/')}`.replace(/\/+/g, '/'));
}

/** Runs `helm template` and reports whether the chart accepted the values. */
async function helmTemplate(args: string[]): Promise<{ accepted: boolean; stderr: string }> {
  return run(tool('helm'), ['template', 'slack-metrics', CHART_DIR, ...args]).then(
    () => ({ accepted: true, stderr: '' }),
    (error: { stderr: string }) => ({ accepted: false, stderr: error.stderr }),
  );
}

/** Matches a string equal to one of these. */
function anyOf(values: string[]) {
  return expect.stringMatching(new RegExp(`^(${values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`));
}

function hasKey(tree: unknown, dotted: string): boolean {
  let node = tree;
  for (const part of dotted.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.*?)\s*$/gm)].map((match) =>
      match[1]
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('values.schema.json', () => {
  // A chart that accepted these would silently ignore an operator's setting.
  it.each([
    'servce.type=NodePort',
    'service.type=Ingress',
    'api.port=http',
    'autoscaling.enabled=yes',
    'ingress.tls.enable=true',
    'postgresql.enabled=false',
    'secrets.apiTokens=short',
    'image.pullPolicy=Sometimes',
    'prometheusRule.enable=true',
    'prometheusRule.high5xxRate.ratio=5',
    'prometheusRule.collectionStale.for=2hours',
    'grafana.dashboard.enable=true',
    'service.nodePort=80',
    'backup.tmpSizeLimit=lots',
  ])('rejects --set %s', async (setting) => {
    const result = await helmTemplate(['--set', setting]);
    expect(result).toEqual({ accepted: false, stderr: expect.stringContaining("values don't meet the specifications of the schema") });
  });
});

describe('scripts/make-secrets.sh', () => {
  const SECRETS_FILE = 'values-secrets.yaml';
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slack-metrics-secrets-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a file of mode 600 the chart accepts, kept without --force, regenerated with it, ignored by git', async () => {
    const output = join(directory, SECRETS_FILE);
    const makeSecrets = (...args: string[]) => run('bash', ['scripts/make-secrets.sh', '--output', output, ...args], { cwd: REPO_ROOT });
    await makeSecrets();
    expect(((await stat(output)).mode & 0o777).toString(8)).toBe('600');
    expect(await helmTemplate(['-f', output])).toEqual({ accepted: true, stderr: '' });

    await copyFile(output, join(directory, 'before'));
    await expect(makeSecrets()).rejects.toMatchObject({ code: expect.any(Number) });
    expect(await readFile(output, 'utf8')).toBe(await readFile(join(directory, 'before'), 'utf8'));
    await makeSecrets('--force');
    expect(await readFile(output, 'utf8')).not.toBe(await readFile(join(directory, 'before'), 'utf8'));

    await expect(run('git', ['check-ignore', '-q', SECRETS_FILE], { cwd: REPO_ROOT })).resolves.toBeDefined();
  });
});

describe('the chart against the code it deploys', () => {
  // Every app container of the defaults, the Minikube values and the ci/ file that turns everything on.
  const manifests = ['ci/full-values.yaml', 'values.yaml', 'values-minikube.yaml'].flatMap(render);
  const containers = appContainers(manifests);
  const configMaps = new Map(
    manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, (m.data ?? {}) as Record<string, string>]),
  );

  it('renders app containers to check', () => {
    expect(containers.map(({ where }) => where)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Deployment\//),
        expect.stringMatching(/^Job\//),
        expect.stringMatching(/^CronJob\//),
      ]),
    );
  });

  it('probes the API on routes of its health controller, on a port it listens on by default', () => {
    const healthRoutes = routesOf(HealthController);
    expect(healthRoutes).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    const defaultPort = new EnvironmentVariables().PORT;
    const deployments = manifests.filter((m) => m.kind === 'Deployment');
    expect(deployments.length).toBeGreaterThan(0);
    for (const deployment of deployments) {
      for (const container of podSpec(deployment)!.containers) {
        const probes = {
          startup: container.startupProbe?.httpGet?.path,
          liveness: container.livenessProbe?.httpGet?.path,
          readiness: container.readinessProbe?.httpGet?.path,
        };
        expect({ container: container.name, probes }).toEqual({
          container: container.name,
          probes: { startup: anyOf(healthRoutes), liveness: anyOf(healthRoutes), readiness: '/health/ready' },
        });
        expect((container.ports ?? []).map((port) => port.containerPort)).toContain(defaultPort);
      }
    }
  });

  it('starts only the two entry points, and each worker command the chart runs is one the built worker has', async () => {
    const entryPoints = containers
      .filter(({ container }) => container.args)
      .map(({ where, container }) => ({ where, entry: container.args![0] }));
    expect(entryPoints.filter(({ entry }) => entry !== WORKER_ENTRY && entry !== API_ENTRY)).toEqual([]);

    const workers = containers.filter(({ container }) => container.args?.[0] === WORKER_ENTRY);
    expect(workers.filter(({ container }) => container.args!.length < 2).map(({ where }) => where)).toEqual([]);
    const commands = [...new Set(workers.map(({ container }) => container.args![1]))].sort();

    // The entry point the image runs is the judge: `worker <command> --help` exits 0 for a command it has.
    const worker = join(REPO_ROOT, WORKER_ENTRY);
    const usage = await Promise.all(
      commands.map((command) =>
        run(process.execPath, [worker, command, '--help'], { env: { PATH: process.env.PATH } }).then(
          ({ stdout }) => ({ command, usage: stdout.split('\n')[0] }),
          (error: { stderr: string }) => ({ command, usage: error.stderr.trim() }),
        ),
      ),
    );
    expect(usage).toEqual(
      commands.map((command) => ({ command, usage: expect.stringMatching(new RegExp(`^Usage: worker ${command}\\b`)) })),
    );
    expect(commands).toEqual(expect.arrayContaining(SCHEDULED_COMMANDS));
  });

  it('gives app containers only environment variables the configuration reads', () => {
    const known = new Set(environmentVariableNames());
    expect(known.size).toBeGreaterThan(10);
    const unknown: string[] = [];
    let checked = 0;
    for (const { where, container } of containers) {
      const names = (container.env ?? []).map((variable) => variable.name);
      for (const source of container.envFrom ?? []) {
        const data = configMaps.get(source.configMapRef?.name ?? '');
        expect({ where, configMap: source.configMapRef?.name, rendered: data !== undefined }).toEqual({
          where,
          configMap: source.configMapRef?.name,
          rendered: true,
        });
        names.push(...Object.keys(data ?? {}));
      }
      checked += names.length;
      unknown.push(...names.filter((name) => !known.has(name)).map((name) => `${where}: ${name}`));
    }
    expect(checked).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it('keeps secrets out of every ConfigMap', () => {
    const secretLooking = [...configMaps].flatMap(([name, data]) =>
      Object.keys(data)
        .filter((key) => /PASSWORD|TOKEN|SECRET/.test(key))
        .map((key) => `${name}: ${key}`),
    );
    expect(secretLooking).toEqual([]);
  });

  it('matches skaffold.yaml: it deploys this chart from values files that exist, setting keys the chart has', async () => {
    const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as unknown;
    type Release = {
      chartPath?: string;
      valuesFiles?: string[];
      setValueTemplates?: Record<string, string>;
      setValues?: Record<string, string>;
    };
    type Section = { deploy?: { helm?: { releases?: Release[] } }; patches?: { path: string; value: unknown }[] };
    type Config = Section & { profiles?: Section[] };
    const configs = parseAllDocuments(await readFile(join(REPO_ROOT, 'skaffold.yaml'), 'utf8')).map(
      (document) => document.toJS() as Config,
    );
    const releases: Release[] = [];
    for (const section of configs.flatMap((config) => [config, ...(config.profiles ?? [])])) {
      releases.push(...(section.deploy?.helm?.releases ?? []));
      for (const patch of section.patches ?? []) {
        if (patch.path.includes('/valuesFiles') && typeof patch.value === 'string') releases.push({ valuesFiles: [patch.value] });
      }
    }
    expect(releases.map((release) => release.chartPath)).toContain('charts/slack-metrics');
    // make-secrets writes values-secrets.yaml, git-ignored, so it may be absent.
    const valuesFiles = releases.flatMap((release) => release.valuesFiles ?? []).filter((file) => file !== 'values-secrets.yaml');
    expect(valuesFiles.length).toBeGreaterThan(0);
    const missing = await Promise.all(
      valuesFiles.map((file) =>
        stat(join(REPO_ROOT, file)).then(
          () => null,
          () => file,
        ),
      ),
    );
    expect(missing.filter(Boolean)).toEqual([]);
    const keys = releases.flatMap((release) => [...Object.keys(release.setValueTemplates ?? {}), ...Object.keys(release.setValues ?? {})]);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !hasKey(values, key))).toEqual([]);
  });
});

describe('monitoring: the PrometheusRule and the Grafana dashboard', () => {
  const manifests = render('ci/full-values.yaml');
  const rules = manifests
    .filter((m) => m.kind === 'PrometheusRule')
    .flatMap((m) => (m.spec as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules));

  it('has the alerts docs/monitoring.md documents', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual(EXPECTED_ALERTS);
  });

  it('has alerts whose expressions are valid PromQL, with literal metric names, durations, severities and runbooks', async () => {
    const ruleSource = await readFile(join(CHART_DIR, 'templates/prometheusrule.yaml'), 'utf8');
    const anchors = headingAnchors(await readFile(join(REPO_ROOT, 'docs/monitoring.md'), 'utf8'));
    const checked = rules.map((rule) => {
      const { problems, metrics } = checkPromql(rule.expr);
      // test/monitoring.e2e-spec.ts checks the names written in the template against what the API exports.
      const notLiteral = metrics.filter((name) => name.startsWith('slack_metrics_') && !ruleSource.includes(name));
      const runbook = rule.annotations?.runbook_url ?? '';
      const fragment = runbook.slice(runbook.indexOf('#') + 1);
      return {
        alert: rule.alert,
        problems,
        notLiteral,
        forIsDuration: isPrometheusDuration(String(rule.for ?? '')),
        severity: rule.labels?.severity,
        summary: Boolean(rule.annotations?.summary),
        description: Boolean(rule.annotations?.description),
        runbookFragment: fragment,
        runbookSection: anchors.has(fragment),
      };
    });
    expect(checked).toEqual(
      rules.map((rule) => ({
        alert: rule.alert,
        problems: [],
        notLiteral: [],
        forIsDuration: true,
        severity: anyOf(['critical', 'warning', 'info']),
        summary: true,
        description: true,
        runbookFragment: rule.alert.toLowerCase(),
        runbookSection: true,
      })),
    );
  });

  it('ships the dashboard file as it is, with valid PromQL in every query', async () => {
    const source = await readFile(join(CHART_DIR, 'dashboards/slack-metrics.json'), 'utf8');
    const maps = manifests.filter((m) => m.kind === 'ConfigMap' && 'slack-metrics.json' in ((m.data ?? {}) as object));
    expect(maps).toHaveLength(1);
    expect((maps[0].data as Record<string, string>)['slack-metrics.json'].trim()).toBe(source.trim());

    const dashboard = JSON.parse(source) as Dashboard;
    const variables = new Set(dashboard.templating.list.map((variable) => variable.name));
    // Grafana interpolates its variables before Prometheus sees the query.
    const interpolated = (where: string, expression: string) => {
      const undefinedVariables = [...expression.matchAll(/\$\{?(\w+)\}?/g)]
        .map((match) => match[1])
        .filter((name) => !name.startsWith('__') && !variables.has(name));
      const text = expression.replace(/\$\{?(\w+)\}?/g, (_, name: string) => (name === '__rate_interval' ? '5m' : 'x'));
      return { where, undefinedVariables, problems: checkPromql(text).problems };
    };
    const queries = [
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => interpolated(`panel "${panel.title}"`, target.expr))),
      ...dashboard.templating.list
        .filter((variable) => variable.type === 'query')
        .map((variable) => {
          const selector = /^label_values\((.*),\s*\w+\)$/.exec(variable.query?.query ?? '');
          return selector
            ? interpolated(`variable ${variable.name}`, selector[1])
            : { where: `variable ${variable.name}`, undefinedVariables: [], problems: [`not label_values(…): ${variable.query?.query}`] };
        }),
    ];
    expect(queries.length).toBeGreaterThan(dashboard.templating.list.length);
    expect(queries.filter((query) => query.undefinedVariables.length > 0 || query.problems.length > 0)).toEqual([]);
  });
});

describe('the chart README (helm-docs)', () => {
  it('describes every value', async () => {
    const rows = (await readFile(join(CHART_DIR, 'README.md'), 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Key '));
    expect(rows.length).toBeGreaterThan(50);
    const undescribed = rows
      .filter(
        (row) =>
          row
            .replace(/\|\s*$/, '')
            .split('|')
            .at(-1)!
            .trim() === '',
      )
      .map((row) => row.split('|')[1].trim());
    expect(undescribed).toEqual([]);
  });
});
