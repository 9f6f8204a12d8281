import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { kubectl, kubectlPath } from './kube';

/**
 * What a real cluster does and this one cannot, played by the test:
 *
 * - The cloud's load-balancer controller: every LoadBalancer Service gets an address in
 *   status.loadBalancer (without one, `helm install --wait` never finishes).
 * - The API's readiness probe. No container runs under kwok, and kwok's pod-ready stage leaves
 *   pods probed on /health/ready alone (test/cluster/kwok-stages.mjs). The app answers that probe
 *   with 200 once its database holds every migration the image knows, so an API pod is marked
 *   ready once a migration Job in its namespace has completed with the same image.
 *
 * Both watch the API server; the times they saw things at (milliseconds) order events more
 * finely than the API's timestamps, which have whole seconds.
 */
export class ClusterStandIns {
  /** `namespace image` -> when a migration Job running that image was first seen complete. */
  readonly migrationsCompletedAt = new Map<string, number>();
  /** API pod uid -> where and when it was first seen. */
  readonly apiPodsSeen = new Map<string, { namespace: string; name: string; image: string; at: number }>();
  private readonly pendingPods = new Map<string, { namespace: string; name: string; containers: string[]; image: string }>();
  private readonly watchers: ChildProcess[] = [];
  private stopped = false;
  private readonly failures: string[] = [];

  static readonly loadBalancerAddress = '127.0.0.10';

  start(): void {
    this.watch(
      [
        'get',
        'services',
        '-A',
        '--watch',
        '-o',
        'jsonpath={.metadata.namespace}|{.metadata.name}|{.spec.type}|{.status.loadBalancer.ingress[0].ip}{"\\n"}',
      ],
      ([namespace, name, type, address]) => {
        if (type === 'LoadBalancer' && !address) void this.assignLoadBalancer(namespace, name);
      },
    );
    this.watch(
      [
        'get',
        'jobs',
        '-A',
        '-l',
        'app.kubernetes.io/component=migration',
        '--watch',
        '-o',
        'jsonpath={.metadata.namespace}|{.spec.template.spec.containers[0].image}|{.status.succeeded}{"\\n"}',
      ],
      ([namespace, image, succeeded]) => {
        if (Number(succeeded) > 0) this.migrationCompleted(namespace, image);
      },
    );
    this.watch(
      [
        'get',
        'pods',
        '-A',
        '-l',
        'app.kubernetes.io/component=api',
        '--watch',
        '-o',
        'jsonpath={.metadata.namespace}|{.metadata.name}|{.metadata.uid}|{.spec.containers[*].name}|' +
          '{.spec.containers[0].image}|{.spec.nodeName}|{.status.phase}|{.metadata.deletionTimestamp}{"\\n"}',
      ],
      ([namespace, name, uid, containers, image, nodeName, phase, deletion]) => {
        if (!this.apiPodsSeen.has(uid)) this.apiPodsSeen.set(uid, { namespace, name, image, at: Date.now() });
        if (deletion || phase === 'Running' || !nodeName) return;
        this.pendingPods.set(uid, { namespace, name, containers: containers.split(' '), image });
        this.markReadyIfMigrated();
      },
    );
  }

  stop(): void {
    this.stopped = true;
    for (const watcher of this.watchers) watcher.kill();
  }

  /** Errors the stand-ins met since the last call (a failed status write, a watch's complaint). */
  takeErrors(): string[] {
    return this.failures.splice(0);
  }

  /** When the first API pod running `image` in `namespace` was seen, if any was. */
  firstApiPodSeen(namespace: string, image: string): number | undefined {
    const times = [...this.apiPodsSeen.values()].filter((pod) => pod.namespace === namespace && pod.image === image).map((pod) => pod.at);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  private watch(args: string[], onLine: (fields: string[]) => void): void {
    const watcher = spawn(kubectlPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.watchers.push(watcher);
    // kubectl aligns tab-separated watch output into columns, hence `|` between the fields.
    createInterface({ input: watcher.stdout }).on('line', (line) => onLine(line.split('|')));
    watcher.stderr.on('data', (chunk) => this.failures.push(`kubectl ${args.slice(0, 2).join(' ')}: ${chunk}`));
    // The API server ends watches after a while; carry on with a new one.
    watcher.once('exit', () => {
      if (!this.stopped) this.watch(args, onLine);
    });
  }

  private migrationCompleted(namespace: string, image: string): void {
    const key = `${namespace} ${image}`;
    if (!this.migrationsCompletedAt.has(key)) this.migrationsCompletedAt.set(key, Date.now());
    this.markReadyIfMigrated();
  }

  private markReadyIfMigrated(): void {
    for (const [uid, pod] of this.pendingPods) {
      if (!this.migrationsCompletedAt.has(`${pod.namespace} ${pod.image}`)) continue;
      this.pendingPods.delete(uid);
      void this.markReady(pod);
    }
  }

  private async markReady(pod: { namespace: string; name: string; containers: string[]; image: string }): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      phase: 'Running',
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: now,
      })),
      containerStatuses: pod.containers.map((name) => ({
        name,
        image: pod.image,
        imageID: '',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    await this.patchStatus(pod.namespace, 'pod', pod.name, status);
  }

  private async assignLoadBalancer(namespace: string, name: string): Promise<void> {
    await this.patchStatus(namespace, 'service', name, { loadBalancer: { ingress: [{ ip: ClusterStandIns.loadBalancerAddress }] } });
  }

  private async patchStatus(namespace: string, kind: string, name: string, status: unknown): Promise<void> {
    try {
      await kubectl(['-n', namespace, 'patch', kind, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    } catch (error) {
      // A pod deleted meanwhile is no failure of the stand-in.
      if (!String(error).includes('NotFound')) this.failures.push(String(error));
    }
  }
}
