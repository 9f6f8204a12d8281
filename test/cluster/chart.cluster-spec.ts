/**
 * The chart on a real API server (Kubernetes built from the Go module proxy, kwok as the node,
 * restricted Pod Security): install, upgrades, helm test, rollback, uninstall and reinstall as a
 * user runs them, asserting on the live objects read back from the API server. What kwok cannot
 * show (a container running, probes answering) is in docs/kubernetes.md; stand-ins.ts plays the
 * load-balancer controller and the API's readiness probe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHART_DIR,
  KubeObject,
  auditLog,
  condition,
  createNamespace,
  ct,
  eventually,
  get,
  helm,
  kubectl,
  list,
  mustGet,
  run,
  secretData,
  tryHelm,
} from './kube';
import { ClusterStandIns } from './stand-ins';

const RELEASE = 'slack-metrics';
const MINIKUBE_VALUES = join(CHART_DIR, 'values-minikube.yaml');
const CLOUD_VALUES = join(CHART_DIR, 'values-cloud.yaml');
const WAIT = ['--wait', '--timeout', '120s'];
const APP_VERSION = '0.1.0';
const image = (tag: string) => `slack-metrics:${tag}`;
/** The generated credentials; upgrades, rollbacks and a reinstall must keep them. */
const CREDENTIAL_KEYS = ['db-password', 'api-tokens', 'api-admin-tokens', 'slack-signing-secret'];

const standIns = new ClusterStandIns();
let workDir: string;
let secretsFile: string;

beforeAll(async () => {
  standIns.start();
  workDir = mkdtempSync(join(process.env.CLUSTER_WORK_DIR ?? tmpdir(), 'chart-'));
  secretsFile = join(workDir, 'values-secrets.yaml');
  const made = await run('bash', ['scripts/make-secrets.sh', '--output', secretsFile]);
  if (made.code !== 0) throw new Error(`make-secrets.sh failed: ${made.stderr}`);
});

afterAll(() => {
  standIns.stop();
  rmSync(workDir, { recursive: true, force: true });
});

afterEach(() => {
  expect(standIns.takeErrors()).toEqual([]);
});

const deployment = (namespace: string) => mustGet(namespace, 'deployment', 'slack-metrics-api');
const apiImage = async (namespace: string) => (await deployment(namespace)).spec.template.spec.containers[0].image as string;
const credentials = async (namespace: string) => {
  const data = await secretData(namespace, 'slack-metrics-postgres-secret');
  return Object.fromEntries(CREDENTIAL_KEYS.map((key) => [key, data[key]]));
};
const completed = (job: KubeObject) => condition(job, 'Complete')?.status === 'True';

/** Waits until no object of `selector` is left (garbage collection deletes a Job's pods after it). */
async function noneLeft(namespace: string, resources: string, selector: string): Promise<void> {
  await eventually(
    `no ${resources} ${selector} left in ${namespace}`,
    async () => (await list(namespace, resources, selector)).length === 0,
  );
}

/** The objects helm patched during `action` (the API server's audit log), as `resource/name`. */
async function patchedBy(action: () => Promise<unknown>): Promise<string[]> {
  const mark = auditLog.mark();
  await action();
  const patched = auditLog
    .since(mark)
    .filter((event) => event.verb === 'patch' && event.userAgent?.startsWith('Helm/') && !event.objectRef?.subresource)
    .map((event) => `${event.objectRef?.resource}/${event.objectRef?.name}`);
  return [...new Set(patched)].sort();
}

/** Every object left in a namespace, as `Kind/name`, leaving out what Kubernetes adds itself. */
async function objectsIn(namespace: string): Promise<string[]> {
  const resources = (await kubectl(['api-resources', '--verbs=list', '--namespaced', '-o', 'name']))
    .split('\n')
    .filter((name) => name && !name.startsWith('events'));
  const items = (JSON.parse(await kubectl(['-n', namespace, 'get', resources.join(','), '-o', 'json'])) as { items: KubeObject[] }).items;
  const addedByKubernetes = new Set(['ServiceAccount/default', 'ConfigMap/kube-root-ca.crt']);
  return items
    .map((item) => `${item.kind}/${item.metadata.name}`)
    .filter((name) => !addedByKubernetes.has(name))
    .sort();
}

describe('values-minikube.yaml: one release through install, upgrades, test, rollback, uninstall, reinstall', () => {
  const ns = 'sm-minikube';
  let installedCredentials: Record<string, string>;

  beforeAll(() => createNamespace(ns));

  it('installs with --wait: every resource of the design under its name, the migration before the API', async () => {
    await helm(['install', RELEASE, CHART_DIR, '-n', ns, '-f', MINIKUBE_VALUES, '-f', secretsFile, ...WAIT]);

    const postgres = await mustGet(ns, 'statefulset', 'slack-metrics-postgres');
    expect(postgres.status.readyReplicas).toBe(1);
    const volume = await mustGet(ns, 'pvc', 'data-slack-metrics-postgres-0');
    expect(volume.status.phase).toBe('Bound');
    expect((await mustGet(ns, 'service', 'slack-metrics-postgres-headless')).spec.clusterIP).toBe('None');
    await mustGet(ns, 'configmap', 'slack-metrics-postgres-config');
    await mustGet(ns, 'configmap', 'slack-metrics-config');
    installedCredentials = await credentials(ns);
    expect(Object.values(installedCredentials).every((value) => value && value.length >= 16)).toBe(true);

    const api = await deployment(ns);
    const container = api.spec.template.spec.containers[0];
    expect(container.image).toBe(image(APP_VERSION));
    expect(container.ports[0].containerPort).toBe(8080);
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(api.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect((await mustGet(ns, 'serviceaccount', 'slack-metrics')).automountServiceAccountToken).toBe(false);

    const internal = await mustGet(ns, 'service', 'slack-metrics-api-internal');
    expect([internal.spec.type, internal.spec.ports[0].port]).toEqual(['ClusterIP', 8080]);
    const exposed = await mustGet(ns, 'service', 'slack-metrics-api');
    expect([exposed.spec.type, exposed.spec.ports[0].nodePort]).toEqual(['NodePort', 32432]);
    const ingress = await mustGet(ns, 'ingress', 'slack-metrics-api-ingress');
    expect([ingress.spec.ingressClassName, ingress.spec.rules[0].host]).toEqual(['nginx', 'sm-api.local']);
    expect(ingress.spec.rules[0].http.paths[0].backend.service.name).toBe('slack-metrics-api-internal');

    const hpa = await mustGet(ns, 'horizontalpodautoscalers.v2.autoscaling', 'slack-metrics-api-hpa');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'slack-metrics-api' });
    expect(hpa.spec.minReplicas).toBe(1);

    const aggregate = await mustGet(ns, 'cronjob', 'slack-metrics-cronjob');
    expect(aggregate.spec.jobTemplate.spec.template.spec.containers[0].args).toEqual(['dist/apps/worker/main.js', 'aggregate']);
    // values-secrets.yaml has no Slack bot token yet: collect is not scheduled to fail every run.
    expect(await get(ns, 'cronjob', 'slack-metrics-collect-cronjob')).toBeUndefined();
    const policies = (await list(ns, 'networkpolicies')).map((policy) => policy.metadata.name).sort();
    expect(policies).toEqual(['slack-metrics-api', 'slack-metrics-jobs', 'slack-metrics-postgres']);

    const migration = await eventually('the migration Job to complete', async () => {
      const job = await get(ns, 'job', 'slack-metrics-migration-job');
      return job && completed(job) ? job : undefined;
    });
    expect(migration.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
    const available = condition(await deployment(ns), 'Available');
    expect(available?.status).toBe('True');
    expect(Date.parse(migration.status.completionTime)).toBeLessThanOrEqual(Date.parse(available!.lastTransitionTime!));
    expect(standIns.migrationsCompletedAt.has(`${ns} ${image(APP_VERSION)}`)).toBe(true);
  });

  it('a second release with the same NodePort is refused, and node port 0 is the way out', async () => {
    const second = 'sm-minikube-second';
    await createNamespace(second);
    const clash = await tryHelm(['install', RELEASE, CHART_DIR, '-n', second, '-f', MINIKUBE_VALUES, '-f', secretsFile]);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('provided port is already allocated');
    expect(await get(second, 'service', 'slack-metrics-api')).toBeUndefined();

    await helm(['uninstall', RELEASE, '-n', second, '--wait']);
    await helm([
      'install',
      RELEASE,
      CHART_DIR,
      '-n',
      second,
      '-f',
      MINIKUBE_VALUES,
      '-f',
      secretsFile,
      '--set',
      'service.nodePort=0',
      ...WAIT,
    ]);
    const picked = (await mustGet(second, 'service', 'slack-metrics-api')).spec.ports[0].nodePort as number;
    expect(picked).not.toBe(32432);
    expect(picked).toBeGreaterThanOrEqual(30000);
    await helm(['uninstall', RELEASE, '-n', second, '--wait']);
    await kubectl(['delete', 'namespace', second, '--wait=false']);
  });

  it('upgrades twice with new tags: each migration runs before the new pods, credentials stay, no hook is left', async () => {
    const upgrade = async (tag: string, extra: string[]) => {
      await helm(['upgrade', RELEASE, CHART_DIR, '-n', ns, '-f', MINIKUBE_VALUES, ...extra, '--set', `image.tag=${tag}`, ...WAIT]);
      expect(await apiImage(ns)).toBe(image(tag));
      const migratedAt = standIns.migrationsCompletedAt.get(`${ns} ${image(tag)}`);
      const firstPodAt = standIns.firstApiPodSeen(ns, image(tag));
      expect(migratedAt).toBeDefined();
      expect(firstPodAt).toBeDefined();
      expect(migratedAt!).toBeLessThan(firstPodAt!);
      await noneLeft(ns, 'jobs,pods', 'app.kubernetes.io/component=migration');
      expect(await credentials(ns)).toEqual(installedCredentials);
    };

    // With a Slack bot token the collect CronJob is scheduled.
    await upgrade('0.1.1', ['-f', secretsFile, '--set', 'secrets.slackBotToken=xoxb-cluster-test-token']);
    await mustGet(ns, 'cronjob', 'slack-metrics-collect-cronjob');

    // Without the secrets file: the chart keeps what the live Secret holds, the token included.
    // Only the objects that carry the image change. Nothing else is patched: the postgres
    // NetworkPolicy's `egress: []`, the probes' `initialDelaySeconds: 0` (both dropped by the API
    // server) and a StatefulSet volumeClaimTemplate without the fields the server adds once made
    // helm patch them on every upgrade.
    const patched = await patchedBy(() => upgrade('0.1.2', []));
    expect(patched).toEqual(['cronjobs/slack-metrics-collect-cronjob', 'cronjobs/slack-metrics-cronjob', 'deployments/slack-metrics-api']);
    expect((await secretData(ns, 'slack-metrics-postgres-secret'))['slack-bot-token']).toBe('xoxb-cluster-test-token');
  });

  it('passes helm test, and leaves no test pod', async () => {
    await helm(['test', RELEASE, '-n', ns, '--timeout', '60s']);
    await noneLeft(ns, 'pods', 'app.kubernetes.io/component=test');
  });

  it('rolls back to revision 1 and forward again', async () => {
    await helm(['rollback', RELEASE, '1', '-n', ns, ...WAIT]);
    expect(await apiImage(ns)).toBe(image(APP_VERSION));
    await eventually('the install-time migration Job, back with revision 1, to complete', async () => {
      const job = await get(ns, 'job', 'slack-metrics-migration-job');
      return job !== undefined && completed(job);
    });
    expect(await get(ns, 'cronjob', 'slack-metrics-collect-cronjob')).toBeUndefined();
    expect(await credentials(ns)).toEqual(installedCredentials);

    await helm(['upgrade', RELEASE, CHART_DIR, '-n', ns, '-f', MINIKUBE_VALUES, '--set', 'image.tag=0.1.2', ...WAIT]);
    expect(await apiImage(ns)).toBe(image('0.1.2'));
    await noneLeft(ns, 'jobs,pods', 'app.kubernetes.io/component=migration');
    expect(await credentials(ns)).toEqual(installedCredentials);
  });

  it('uninstalls, leaving only the PostgreSQL volume and the kept Secret, and reinstalls under the same name', async () => {
    await helm(['uninstall', RELEASE, '-n', ns, '--wait', '--timeout', '120s']);
    // docs/kubernetes.md, "Uninstalling": the data volume and the Secret with its password stay.
    const expected = ['PersistentVolumeClaim/data-slack-metrics-postgres-0', 'Secret/slack-metrics-postgres-secret'];
    await eventually('only the documented leftovers', async () => JSON.stringify(await objectsIn(ns)) === JSON.stringify(expected));
    expect(await objectsIn(ns)).toEqual(expected);

    await helm(['install', RELEASE, CHART_DIR, '-n', ns, '-f', MINIKUBE_VALUES, ...WAIT]);
    expect(await credentials(ns)).toEqual(installedCredentials);
    const migration = await eventually('the reinstall migration Job to complete', async () => {
      const job = await get(ns, 'job', 'slack-metrics-migration-job');
      return job && completed(job) ? job : undefined;
    });
    expect(migration.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    expect(condition(await deployment(ns), 'Available')?.status).toBe('True');
  });
});

describe('values-cloud.yaml in a namespace of its own', () => {
  const ns = 'sm-cloud';

  beforeAll(() => createNamespace(ns));

  const cloudValues = [
    '-f',
    CLOUD_VALUES,
    '--set',
    'image.repository=registry.example.test/slack-metrics',
    '--set',
    `image.tag=${APP_VERSION}`,
  ];

  it('installs with --wait: LoadBalancer, PodDisruptionBudget, the HPA holding two replicas, backups', async () => {
    await helm(['install', RELEASE, CHART_DIR, '-n', ns, ...cloudValues, ...WAIT]);
    const exposed = await mustGet(ns, 'service', 'slack-metrics-api');
    expect(exposed.spec.type).toBe('LoadBalancer');
    expect(exposed.status.loadBalancer.ingress[0].ip).toBe(ClusterStandIns.loadBalancerAddress);
    const budget = await mustGet(ns, 'pdb', 'slack-metrics-api');
    expect(budget.spec.minAvailable).toBe(1);
    const hpa = await mustGet(ns, 'horizontalpodautoscalers.v2.autoscaling', 'slack-metrics-api-hpa');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 6]);
    // The HPA controller scales the Deployment (created without replicas) up to the minimum.
    await eventually('two ready API replicas', async () => {
      const api = await deployment(ns);
      return api.spec.replicas === 2 && api.status.readyReplicas === 2;
    });
    await eventually('the PodDisruptionBudget to count both replicas', async () => {
      const status = (await mustGet(ns, 'pdb', 'slack-metrics-api')).status;
      return status.expectedPods === 2 && status.disruptionsAllowed === 1;
    });
    await mustGet(ns, 'cronjob', 'slack-metrics-backup');
    const backups = await mustGet(ns, 'pvc', 'slack-metrics-backup');
    expect([backups.status.phase, backups.spec.resources.requests.storage]).toEqual(['Bound', '100Gi']);
    expect((await mustGet(ns, 'pvc', 'data-slack-metrics-postgres-0')).spec.resources.requests.storage).toBe('50Gi');
  });

  it('upgrades with unchanged values without patching anything the chart renders', async () => {
    const patched = await patchedBy(() => helm(['upgrade', RELEASE, CHART_DIR, '-n', ns, ...cloudValues, ...WAIT]));
    // helm resends a PodDisruptionBudget's selector on every upgrade whatever the chart does (the
    // field's patch strategy is `replace`); the server finds nothing to change.
    expect(patched).toEqual(['poddisruptionbudgets/slack-metrics-api']);
  });
});

describe('chart-testing', () => {
  const namespaces = async () => (await list('', 'namespaces')).map((namespace) => namespace.metadata.name).sort();

  it('ct install passes for every ci/*.yaml', async () => {
    const before = await namespaces();
    await ct(['install', '--config', 'charts/ct.yaml', '--charts', 'charts/slack-metrics', '--helm-extra-args', '--timeout 180s']);
    // ct removes the namespace of each install; wait for the last one to go.
    await eventually('ct to leave no namespace behind', async () => JSON.stringify(await namespaces()) === JSON.stringify(before), 120_000);
  });
});

describe('restricted Pod Security is enforced', () => {
  const ns = 'sm-podsecurity';

  beforeAll(() => createNamespace(ns));

  it('refuses API pods that an override makes unconfined, and admits the rest', async () => {
    await helm([
      'install',
      RELEASE,
      CHART_DIR,
      '-n',
      ns,
      '-f',
      MINIKUBE_VALUES,
      '--set',
      'service.nodePort=0',
      '--set-string',
      'api.podAnnotations.container\\.apparmor\\.security\\.beta\\.kubernetes\\.io/api=unconfined',
    ]);
    const refusal = await eventually('the ReplicaSet to report the refused pod', async () => {
      const [replicaSet] = await list(ns, 'replicasets', 'app.kubernetes.io/component=api');
      return replicaSet && condition(replicaSet, 'ReplicaFailure');
    });
    expect(refusal.reason).toBe('FailedCreate');
    expect(refusal.message).toContain('violates PodSecurity "restricted:latest"');
    expect(refusal.message).toContain('unconfined');
    expect(await list(ns, 'pods', 'app.kubernetes.io/component=api')).toEqual([]);
    await eventually('the PostgreSQL pod, which the override does not touch', () => get(ns, 'pod', 'slack-metrics-postgres-0'));
  });
});
