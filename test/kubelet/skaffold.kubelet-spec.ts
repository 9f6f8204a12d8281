/**
 * skaffold on the real node, as a developer runs it: the project's skaffold.yaml, unchanged,
 * builds the Dockerfile and deploys the chart with helm. The `docker` it calls is
 * scripts/lib/podman-docker.sh: podman's Docker-compatible API (served by scripts/test-kubelet.sh
 * outside the sealed namespace) builds, and each image lands in the node's containerd, as a build
 * into Minikube's Docker daemon lands on its node. skaffold works on a copy of the checkout, so
 * the source change of `skaffold dev` and the generated values-secrets.yaml stay out of it.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KubeObject, REPO_ROOT, createNamespace, eventually, get, kubectl, list, run } from '../cluster/kube';

const NS = 'sm-skaffold';
const DEPLOYMENT = 'slack-metrics-api';
const DEV_TITLE = 'slack-metrics API, rebuilt by skaffold dev';

for (const name of ['PODMAN_URL', 'NODE_IMAGE', 'CONTAINERD_ADDRESS', 'CLUSTER_WORK_DIR']) {
  if (!process.env[name]) throw new Error(`${name} is not set: run these tests through scripts/test-kubelet.sh`);
}

let workDir: string;
let checkout: string;
let env: NodeJS.ProcessEnv;

/** The files a developer's checkout has: tracked and untracked, without what git ignores. */
function copyCheckout(target: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const source = join(REPO_ROOT, file);
    // A tracked file deleted in the working tree is not part of the checkout either, and a link
    // (such as node_modules pointing at a shared install) is nothing the image build reads.
    if (!lstatSync(source, { throwIfNoEntry: false })?.isFile()) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(source, join(target, file));
  }
}

beforeAll(async () => {
  workDir = mkdtempSync(join(process.env.CLUSTER_WORK_DIR!, 'skaffold-'));
  checkout = join(workDir, 'checkout');
  copyCheckout(checkout);
  const dockerDir = join(workDir, 'docker-cli');
  mkdirSync(dockerDir);
  symlinkSync(join(REPO_ROOT, 'scripts/lib/podman-docker.sh'), join(dockerDir, 'docker'));
  env = {
    ...process.env,
    PATH: [dockerDir, join(REPO_ROOT, '.tools/bin'), join(REPO_ROOT, '.tools/node/bin'), process.env.PATH].join(':'),
    DOCKER_HOST: process.env.PODMAN_URL,
    HOME: join(workDir, 'home'),
    SKAFFOLD_UPDATE_CHECK: 'false',
    SKAFFOLD_INTERACTIVE: 'false',
  };
  // What a developer tells skaffold about a cluster on their own machine that it does not
  // recognise by name (as it does Minikube or kind): build into the local daemon, push nothing.
  const configured = await skaffold(['config', 'set', '--kube-context', 'test', 'local-cluster', 'true']);
  if (configured.code !== 0) throw new Error(`skaffold config set failed: ${configured.output}`);
  await createNamespace(NS);
});

afterAll(async () => {
  await run(join(REPO_ROOT, '.tools/bin/kubectl'), ['delete', 'namespace', NS, '--wait=false']);
  rmSync(workDir, { recursive: true, force: true });
});

function skaffold(args: string[], timeoutMs = 600_000): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(join(REPO_ROOT, '.tools/bin/skaffold'), args, { cwd: checkout, env, timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolveRun({ code: code ?? -1, output }));
  });
}

/** The API's image and whether every replica of that template is up to date and ready. */
async function apiRollout(): Promise<{ image: string; done: boolean } | undefined> {
  const deployment = await get(NS, 'deployment', DEPLOYMENT);
  if (!deployment) return undefined;
  const spec = deployment.spec as { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
  const status = (deployment.status ?? {}) as {
    observedGeneration?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    replicas?: number;
  };
  const done =
    status.observedGeneration === (deployment.metadata as { generation?: number }).generation &&
    status.updatedReplicas === spec.replicas &&
    status.readyReplicas === spec.replicas &&
    status.replicas === spec.replicas;
  return { image: spec.template.spec.containers[0].image, done };
}

/** The API pods of the Deployment's current template that are not on their way out. */
async function currentApiPods(image: string): Promise<KubeObject[]> {
  return (await apiPods()).filter(
    (pod) => !pod.metadata.deletionTimestamp && (pod.spec as { containers: Array<{ image: string }> }).containers[0].image === image,
  );
}

/**
 * The OpenAPI document's title from each current API pod, straight to its address: the sealed
 * namespace has no route to Service addresses (the chart's default Service is a ClusterIP).
 */
async function openApiTitles(image: string): Promise<Array<string | undefined>> {
  const pods = await currentApiPods(image);
  return Promise.all(
    pods.map(async (pod) => {
      try {
        const { podIP } = pod.status as { podIP: string };
        const response = await fetch(`http://${podIP}:8080/docs-json`, { signal: AbortSignal.timeout(5_000) });
        return response.ok ? ((await response.json()) as { info: { title: string } }).info.title : undefined;
      } catch {
        return undefined;
      }
    }),
  );
}

async function imagesOnNode(): Promise<string[]> {
  const listed = await run(join(REPO_ROOT, '.tools/bin/ctr'), [
    '--address',
    process.env.CONTAINERD_ADDRESS!,
    '--namespace',
    'k8s.io',
    'images',
    'list',
    '--quiet',
  ]);
  return listed.stdout.split('\n').filter(Boolean);
}

/** What the namespace holds, for a failure's message. */
async function clusterState(): Promise<string> {
  const kubectlTool = join(REPO_ROOT, '.tools/bin/kubectl');
  const objects = await run(kubectlTool, ['-n', NS, 'get', 'all,pvc', '-o', 'wide']);
  const events = await run(kubectlTool, [
    '-n',
    NS,
    'get',
    'events',
    '-o',
    'custom-columns=OBJECT:.involvedObject.name,REASON:.reason,MESSAGE:.message',
  ]);
  return [objects.stdout, objects.stderr, events.stdout, events.stderr].join('\n');
}

const apiPods = (): Promise<KubeObject[]> => list(NS, 'pods', 'app.kubernetes.io/component=api');

test('skaffold run builds the Dockerfile through podman and deploys the chart, which turns ready', async () => {
  const result = await skaffold(['run', '--namespace', NS, '--status-check=true'], 240_000);
  if (result.code !== 0 || !result.output.includes('Deployments stabilized')) {
    throw new Error(
      `skaffold run exited ${result.code} without a stable deployment\n${result.output.slice(-2500)}\n${await clusterState()}`,
    );
  }

  const rollout = await apiRollout();
  // Not pushed, so skaffold deploys the image by its ID, which is how the node has it.
  expect(rollout).toEqual({ image: expect.stringMatching(/^slack-metrics:[0-9a-f]{64}$/), done: true });
  expect(await imagesOnNode()).toContain(`docker.io/library/${rollout!.image}`);
  expect(await openApiTitles(rollout!.image)).toEqual(['slack-metrics API', 'slack-metrics API']);
  const release = JSON.parse(await kubectl(['-n', NS, 'get', 'secret', '-l', 'owner=helm,name=slack-metrics', '-o', 'json'])) as {
    items: unknown[];
  };
  expect(release.items.length).toBeGreaterThan(0);
});

test('skaffold dev rebuilds after a source change and rolls the Deployment to the new image, and removes the release when stopped', async () => {
  const before = await apiRollout();
  expect(before?.done).toBe(true);

  let output = '';
  const dev: ChildProcess = spawn(
    join(REPO_ROOT, '.tools/bin/skaffold'),
    ['dev', '--namespace', NS, '--port-forward=off', '--status-check=true'],
    {
      cwd: checkout,
      env,
    },
  );
  dev.stdout!.on('data', (chunk) => (output += chunk));
  dev.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolveExit) => dev.on('close', resolveExit));
  try {
    await eventually('skaffold dev watching for changes', async () => output.includes('Watching for changes'), 600_000).catch((error) => {
      throw new Error(`${error.message}\n${output.slice(-3000)}`);
    });
    const source = join(checkout, 'apps/api/src/common/openapi.ts');
    const original = readFileSync(source, 'utf8');
    const changed = original.replace(/\.setTitle\('[^']*'\)/, `.setTitle('${DEV_TITLE}')`);
    expect(changed).not.toBe(original);
    writeFileSync(source, changed);

    const rolled = await eventually(
      'the Deployment rolled to a new image',
      async () => {
        const rollout = await apiRollout();
        return rollout && rollout.image !== before!.image && rollout.done ? rollout : undefined;
      },
      600_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n${output.slice(-3000)}`);
    });
    expect(rolled.image).toMatch(/^slack-metrics:[0-9a-f]{64}$/);
    expect(await openApiTitles(rolled.image)).toEqual([DEV_TITLE, DEV_TITLE]);
  } finally {
    dev.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  // skaffold dev cleans up what it deployed when it stops.
  await eventually('the release removed', async () => (await get(NS, 'deployment', DEPLOYMENT)) === undefined, 120_000);
});
