/**
 * The chart's pods on a real node: kubelet and kube-proxy of the API server's Kubernetes build,
 * containerd 2 with runc, CoreDNS, all in the sealed network namespace of scripts/test-kubelet.sh
 * (this process runs in it too). values-minikube.yaml is installed as a user installs it, under
 * restricted Pod Security; the API is reached through NodePort 32432 on the node's address, as
 * `curl http://$(minikube ip):32432` reaches it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { steadyLoad } from '../support/load';
import {
  CHART_DIR,
  KubeObject,
  REPO_ROOT,
  condition,
  createNamespace,
  eventually,
  get,
  helm,
  kubectl,
  kubectlPath,
  list,
  mustGet,
  run,
  secretData,
} from '../cluster/kube';

const RELEASE = 'slack-metrics';
const NS = 'sm-node';
const NODE_NAME = 'slack-metrics-node';
const NODE_PORT = 32432;
const VALUES = ['-f', join(CHART_DIR, 'values-minikube.yaml'), '-f', join(__dirname, 'values-kubelet.yaml')];
const WAIT = ['--wait', '--timeout', '300s'];
const DEMO_TEAM = 'TDEMO00001';

const nodeIp = process.env.NODE_IP;
if (!nodeIp) throw new Error('NODE_IP is not set: run these tests through scripts/test-kubelet.sh');
const nodePortUrl = (path: string) => `http://${nodeIp}:${NODE_PORT}${path}`;
const ctr = (args: string[]) => run(join(REPO_ROOT, '.tools/bin/ctr'), args);

let workDir: string;
let secretsFile: string;
let readToken: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(process.env.CLUSTER_WORK_DIR!, 'node-'));
  secretsFile = join(workDir, 'values-secrets.yaml');
  const made = await run('bash', ['scripts/make-secrets.sh', '--output', secretsFile]);
  if (made.code !== 0) throw new Error(`make-secrets.sh failed: ${made.stderr}`);
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** GET through the NodePort; never throws, a refused connection is status 0. */
async function getThroughNodePort(path: string, token?: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(nodePortUrl(path), {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

const podsOf = (component: string) => list(NS, 'pods', `app.kubernetes.io/component=${component}`);
const isReady = (pod: KubeObject) => condition(pod, 'Ready')?.status === 'True';
const completed = (job: KubeObject) => condition(job, 'Complete')?.status === 'True';
const exec = (pod: string, command: string[]) => kubectl(['-n', NS, 'exec', pod, '--', ...command]);
const tryExec = (pod: string, command: string[]) => run(kubectlPath, ['-n', NS, 'exec', pod, '--', ...command]);
/** psql in the PostgreSQL pod over TCP, as the app's user with the password the chart gave it. */
const psqlCommand = (query: string, password = '"$POSTGRES_PASSWORD"') => [
  'sh',
  '-c',
  `PGPASSWORD=${password} psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atc "${query}"`,
];
const psql = async (pod: string, query: string) => (await exec(pod, psqlCommand(query))).trim();

async function onlyPod(component: string): Promise<KubeObject> {
  const pods = (await podsOf(component)).filter((pod) => !pod.metadata.deletionTimestamp);
  if (pods.length !== 1)
    throw new Error(`expected one ${component} pod, found ${pods.map((pod) => pod.metadata.name).join(', ') || 'none'}`);
  return pods[0];
}

async function jobCompletes(name: string): Promise<KubeObject> {
  return eventually(
    `Job ${name} to complete`,
    async () => {
      const job = await get(NS, 'job', name);
      if (job && condition(job, 'Failed')?.status === 'True')
        throw new Error(`Job ${name} failed: ${await kubectl(['-n', NS, 'logs', `job/${name}`])}`);
      return job && completed(job) ? job : undefined;
    },
    240_000,
  );
}

/**
 * A Job of the aggregate CronJob's template (image, env, security) running another worker
 * command; owned by the CronJob, as `kubectl create job --from` makes it, so that it goes with it.
 */
async function workerJob(name: string, command: string[]): Promise<void> {
  const cronJob = await mustGet(NS, 'cronjob', 'slack-metrics-cronjob');
  const template = cronJob.spec.jobTemplate;
  template.spec.template.spec.containers[0].args = ['dist/apps/worker/main.js', ...command];
  const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name, uid: cronJob.metadata.uid, controller: true };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: template.metadata?.labels, ownerReferences: [owner] },
    spec: template.spec,
  };
  await kubectl(['-n', NS, 'create', '-f', '-'], JSON.stringify(job));
}

describe('the sealed node', () => {
  it('lives in a network namespace with loopback and the pod bridge only, and no route out', async () => {
    const routes = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
    expect(routes.code).toBe(0);
    expect(routes.stdout).not.toMatch(/^default /m);
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(': ')[1].split('@')[0]);
    expect(links.filter((name) => name !== 'lo' && name !== 'cni0' && !name.startsWith('veth'))).toEqual([]);
    // Without a route the kernel refuses the connection before any packet is sent.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '192.0.2.1', port: 80 });
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(outcome).toBe('ENETUNREACH');
  });

  it('is a real kubelet of the same build on containerd 2, ready, at the pod bridge address', async () => {
    const node = await mustGet('', 'node', NODE_NAME);
    expect(condition(node, 'Ready')?.status).toBe('True');
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.36.3');
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/v?2\.4\.2$/);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: nodeIp });
    const images = (await ctr(['images', 'list', '-q'])).stdout.split('\n');
    expect(images).toEqual(expect.arrayContaining(['localhost/slack-metrics:dev', 'docker.io/library/postgres:15']));
  });
});

describe('values-minikube.yaml on the node, under restricted Pod Security', () => {
  beforeAll(async () => {
    await createNamespace(NS);
  });

  it('installs with --wait: the migration Job migrates the StatefulSet PostgreSQL, every pod runs and turns ready', async () => {
    await helm(['install', RELEASE, CHART_DIR, '-n', NS, ...VALUES, '-f', secretsFile, ...WAIT]);
    const namespace = await mustGet('', 'namespace', NS);
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');

    const migration = await jobCompletes('slack-metrics-migration-job');
    expect(migration.status.succeeded).toBe(1);
    const migrationLog = await kubectl(['-n', NS, 'logs', 'job/slack-metrics-migration-job']);
    expect(migrationLog).toMatch(/migrat/i);

    const postgres = await onlyPod('postgres');
    const api = await onlyPod('api');
    for (const pod of [postgres, api]) {
      expect(pod.spec.nodeName).toBe(NODE_NAME);
      expect(isReady(pod)).toBe(true);
      expect(pod.status.containerStatuses.every((status: { restartCount: number }) => status.restartCount === 0)).toBe(true);
    }
    expect((await mustGet(NS, 'pvc', 'data-slack-metrics-postgres-0')).status.phase).toBe('Bound');
    expect(Number(await psql(postgres.metadata.name, 'SELECT count(*) FROM schema_migrations'))).toBeGreaterThan(0);
  });

  it('runs the probes for real: the kubelet counts successful startup, liveness and readiness probes', async () => {
    const successes = (metrics: string, container: string, probe: string) =>
      metrics
        .split('\n')
        .filter(
          (line) =>
            line.startsWith('prober_probe_total{') &&
            line.includes(`container="${container}"`) &&
            line.includes(`probe_type="${probe}"`) &&
            line.includes('result="successful"'),
        )
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    // The liveness probe starts once the startup probe has passed, every 10 seconds.
    await eventually(
      'successful probes of every kind on the kubelet',
      async () => {
        const metrics = await kubectl(['get', '--raw', `/api/v1/nodes/${NODE_NAME}/proxy/metrics/probes`]);
        return (
          ['Startup', 'Liveness', 'Readiness'].every((probe) => successes(metrics, 'api', probe) > 0) &&
          ['Startup', 'Liveness', 'Readiness'].every((probe) => successes(metrics, 'postgres', probe) > 0)
        );
      },
      90_000,
    );
  });

  it('the PostgreSQL image keeps the contract the chart relies on (docs/kubernetes.md)', async () => {
    const pod = (await onlyPod('postgres')).metadata.name;
    expect((await exec(pod, ['id', '-u'])).trim()).toBe('999');
    expect(await psql(pod, 'SHOW data_directory')).toBe('/var/lib/postgresql/data/pgdata');
    expect(await psql(pod, 'SHOW config_file')).toBe('/etc/postgresql/postgresql.conf');
    expect(await psql(pod, 'SHOW server_version_num')).toMatch(/^15\d{4}$/);
    expect(await psql(pod, 'SELECT current_user, current_database(), rolsuper FROM pg_roles WHERE rolname = current_user')).toBe(
      'slack_metrics|slack_metrics|t',
    );
    // Over TCP a password is required: the wrong one is refused.
    const wrong = await tryExec(pod, psqlCommand('SELECT 1', 'wrong'));
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('password authentication failed');
    // The root filesystem is read-only; the data lives on the volume.
    expect((await tryExec(pod, ['touch', '/probe'])).code).not.toBe(0);
    expect((await exec(pod, ['cat', '/var/lib/postgresql/data/pgdata/PG_VERSION'])).trim()).toBe('15');
  });

  it('resolves the cluster names through the namespace resolver, and nothing else', async () => {
    const api = (await onlyPod('api')).metadata.name;
    const postgres = await onlyPod('postgres');
    expect((await exec(api, ['cat', '/etc/resolv.conf'])).match(/^nameserver .*/gm)).toEqual([`nameserver ${nodeIp}`]);
    const lookup = (name: string) =>
      exec(api, ['node', '-e', `require('dns').lookup(${JSON.stringify(name)}, (e, a) => console.log(e ? e.code : a))`]).then((out) =>
        out.trim(),
      );
    expect(await lookup('slack-metrics-postgres-0.slack-metrics-postgres-headless')).toBe(postgres.status.podIP);
    expect(await lookup('slack-metrics-api-internal')).toBe((await mustGet(NS, 'service', 'slack-metrics-api-internal')).spec.clusterIP);
    expect(await lookup('deb.debian.org')).toMatch(/^(ENOTFOUND|EAI_AGAIN|ESERVFAIL|EREFUSED)$/);
  });

  it('answers through NodePort 32432 on the node: 200 with the generated read token, 401 without', async () => {
    readToken = (await secretData(NS, 'slack-metrics-postgres-secret'))['api-tokens'].split(',')[0];
    const answer = await getThroughNodePort('/api/v1/workspaces', readToken);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: [] });
    expect((await getThroughNodePort('/api/v1/workspaces')).status).toBe(401);
    expect((await getThroughNodePort('/health/ready')).status).toBe(200);
  });

  it('loads the demo workspace with a worker Job, and its numbers show through the NodePort', async () => {
    await workerJob('demo', ['demo']);
    await jobCompletes('demo');
    const workspaces = JSON.parse((await getThroughNodePort('/api/v1/workspaces', readToken)).body) as { data: { id: string }[] };
    expect(workspaces.data.map((workspace) => workspace.id)).toEqual([DEMO_TEAM]);
    const summary = await getThroughNodePort(`/api/v1/metrics/summary?teamId=${DEMO_TEAM}`, readToken);
    expect(summary.status).toBe(200);
    const counts = JSON.parse(summary.body) as { messages: number; activeMembers: number; activeChannels: number };
    expect(counts.messages).toBeGreaterThan(0);
    expect(counts.activeMembers).toBeGreaterThan(0);
    expect(counts.activeChannels).toBeGreaterThan(0);
  });

  it("runs the aggregate CronJob's Job", async () => {
    const before = JSON.parse((await getThroughNodePort('/api/v1/metrics/freshness', readToken)).body) as { aggregatedAt: string };
    await kubectl(['-n', NS, 'create', 'job', 'aggregate-now', '--from=cronjob/slack-metrics-cronjob']);
    await jobCompletes('aggregate-now');
    const after = JSON.parse((await getThroughNodePort('/api/v1/metrics/freshness', readToken)).body) as { aggregatedAt: string };
    expect(Date.parse(after.aggregatedAt)).toBeGreaterThan(Date.parse(before.aggregatedAt));
  });

  it('passes helm test with its real pod', async () => {
    const tested = await helm(['test', RELEASE, '-n', NS, '--timeout', '120s']);
    expect(tested).toMatch(/TEST SUITE: +slack-metrics-test-api[\s\S]*Phase: +Succeeded/);
    // The pod is deleted once it has passed; the kubelet's events tell that it ran its container.
    const events = await list(NS, 'events');
    const started = events.filter(
      (event) =>
        event.involvedObject?.name === 'slack-metrics-test-api' && event.reason === 'Started' && event.source?.component === 'kubelet',
    );
    expect(started.length).toBeGreaterThan(0);
  });

  it('rolls the API to a new tag under load through the NodePort without failing a request', async () => {
    const tagged = await ctr(['images', 'tag', 'localhost/slack-metrics:dev', 'localhost/slack-metrics:rollout']);
    expect(tagged.code).toBe(0);
    const oldPod = (await onlyPod('api')).metadata.name;
    let upgrading = true;
    const load = steadyLoad({
      url: nodePortUrl('/api/v1/workspaces'),
      headers: { Authorization: `Bearer ${readToken}` },
      // Every request arrives from the node's address, one client to the API's rate limit
      // (600 a minute per pod): about 8 a second stay under it.
      concurrency: 2,
      maxDurationMs: 280_000,
      pauseMs: 250,
      shouldSend: () => upgrading,
    });
    try {
      await helm(['upgrade', RELEASE, CHART_DIR, '-n', NS, ...VALUES, '--set', 'image.tag=rollout', ...WAIT]);
      // The old pod drains after the upgrade returns: keep the load on until it is gone.
      await eventually('the old API pod to be gone', async () => !(await get(NS, 'pod', oldPod)), 120_000);
    } finally {
      upgrading = false;
    }
    const report = await load;
    const api = await onlyPod('api');
    expect(api.spec.containers[0].image).toBe('localhost/slack-metrics:rollout');
    expect(report.sent).toBeGreaterThan(50);
    expect(report).toMatchObject({ failed: 0, statuses: { '200': report.sent } });
  });

  // Deleted as `kubectl delete pod` does it (the server shuts down and closes its connections) and
  // forced (killed at once, the pod object gone before its containers).
  it.each([
    ['deleted', []],
    ['force-deleted', ['--grace-period=0', '--force']],
  ])('turns not-ready when its PostgreSQL pod is %s, recovers by itself, and serves every call once ready', async (_how, deleteFlags) => {
    const postgres = await onlyPod('postgres');
    // Calls through the NodePort all along, one at a time: what a client sees during the outage.
    const calls: { at: number; status: number }[] = [];
    let calling = true;
    const caller = (async () => {
      while (calling) {
        const at = Date.now();
        calls.push({ at, status: (await getThroughNodePort('/api/v1/workspaces', readToken)).status });
        await sleep(200);
      }
    })();
    try {
      await kubectl(['-n', NS, 'delete', 'pod', postgres.metadata.name, '--wait=false', ...deleteFlags]);
      await eventually('the API pod to turn not-ready', async () => !isReady(await onlyPod('api')), 120_000);
      await eventually(
        'PostgreSQL and the API to be ready again',
        async () => {
          const [db, api] = await Promise.all([onlyPod('postgres').catch(() => undefined), onlyPod('api')]);
          return db !== undefined && db.metadata.uid !== postgres.metadata.uid && isReady(db) && isReady(api);
        },
        240_000,
      );
      await sleep(5_000);
    } finally {
      calling = false;
      await caller;
    }
    const api = await onlyPod('api');
    expect(api.status.containerStatuses[0].restartCount).toBe(0);
    // The outage was seen, and once the pod was ready again (and kube-proxy had a second to route
    // to it) every call succeeded.
    expect(calls.some((call) => call.status !== 200)).toBe(true);
    const readyAgainAt = Date.parse(condition(api, 'Ready')!.lastTransitionTime!) + 1_000;
    const afterReady = calls.filter((call) => call.at > readyAgainAt + 1_000);
    expect(afterReady.length).toBeGreaterThan(5);
    expect(afterReady.filter((call) => call.status !== 200)).toEqual([]);
  });

  it('uninstalls, leaving what docs/kubernetes.md says: the PostgreSQL volume and the kept Secret', async () => {
    await helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '180s']);
    const leftovers = async () => {
      const kinds =
        'deployments,statefulsets,jobs,cronjobs,pods,services,configmaps,secrets,pvc,serviceaccounts,networkpolicies,ingresses,horizontalpodautoscalers';
      return (await list(NS, kinds))
        .map((item) => `${item.kind}/${item.metadata.name}`)
        .filter((name) => name !== 'ServiceAccount/default' && name !== 'ConfigMap/kube-root-ca.crt')
        .sort();
    };
    const expected = ['PersistentVolumeClaim/data-slack-metrics-postgres-0', 'Secret/slack-metrics-postgres-secret'];
    await eventually('only the documented leftovers', async () => JSON.stringify(await leftovers()) === JSON.stringify(expected), 180_000);
    expect(await leftovers()).toEqual(expected);
    expect((await mustGet(NS, 'pvc', 'data-slack-metrics-postgres-0')).status.phase).toBe('Bound');
  });
});
