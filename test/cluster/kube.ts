import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** kubectl, helm and ct from .tools/bin, against the cluster of scripts/test-cluster.sh or scripts/test-kubelet.sh. */
export const REPO_ROOT = resolve(__dirname, '../..');
export const CHART_DIR = join(REPO_ROOT, 'charts/slack-metrics');

const kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) throw new Error('KUBECONFIG is not set: run these tests through scripts/test-cluster.sh or scripts/test-kubelet.sh');
const tool = (name: string) => join(REPO_ROOT, '.tools/bin', name);

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, whatever its exit status. */
export function run(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    const child = execFile(
      command,
      args,
      {
        cwd: REPO_ROOT,
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 240_000,
        env: { ...process.env, KUBECONFIG: kubeconfig },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function mustRun(command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, { input });
  if (result.code !== 0) {
    throw new Error(`${command.split('/').pop()} ${args.join(' ')} exited ${result.code}\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export const kubectl = (args: string[], input?: string) => mustRun(tool('kubectl'), args, input);
export const helm = (args: string[]) => mustRun(tool('helm'), args);
export const tryHelm = (args: string[]) => run(tool('helm'), args);
export const ct = (args: string[]) => mustRun(tool('ct'), args);
export const kubectlPath = tool('kubectl');

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The fields of live objects the tests read; everything else stays untyped. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp: string;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string }[];
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  /** Secret */
  data?: Record<string, string>;
  /** ServiceAccount */
  automountServiceAccountToken?: boolean;
  /** Event */
  involvedObject?: { kind: string; name: string };
  reason?: string;
  source?: { component?: string };
}

/** One live object, or undefined when it does not exist. */
export async function get(namespace: string, resource: string, name: string): Promise<KubeObject | undefined> {
  const result = await run(tool('kubectl'), ['-n', namespace, 'get', resource, name, '-o', 'json', '--ignore-not-found']);
  if (result.code !== 0) throw new Error(`kubectl get ${resource} ${name}: ${result.stderr}`);
  return result.stdout.trim() ? (JSON.parse(result.stdout) as KubeObject) : undefined;
}

export async function mustGet(namespace: string, resource: string, name: string): Promise<KubeObject> {
  const found = await get(namespace, resource, name);
  if (!found) throw new Error(`${resource} ${namespace}/${name} does not exist`);
  return found;
}

/** Objects of `resources` in `namespace` (empty: cluster-scoped ones). */
export async function list(namespace: string, resources: string, selector?: string): Promise<KubeObject[]> {
  const args = [...(namespace ? ['-n', namespace] : []), 'get', resources, '-o', 'json', ...(selector ? ['-l', selector] : [])];
  return (JSON.parse(await kubectl(args)) as { items: KubeObject[] }).items;
}

export function condition(object: KubeObject, type: string): Condition | undefined {
  return (object.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

/** Polls until `probe` returns a value other than undefined or false. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

export async function createNamespace(name: string): Promise<void> {
  await kubectl(['create', 'namespace', name]);
  await kubectl([
    'label',
    'namespace',
    name,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
  ]);
}

/** Decoded data of a Secret. */
export async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
  const secret = await mustGet(namespace, 'secret', name);
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

export interface AuditEvent {
  verb: string;
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

/**
 * The API server's audit log (every create, update, patch and delete; scripts/test-cluster.sh sets
 * the policy). `mark()` remembers how far it reaches; `since(mark)` returns what came after.
 */
export const auditLog = {
  read(): string {
    const path = process.env.CLUSTER_AUDIT_LOG;
    if (!path) throw new Error('CLUSTER_AUDIT_LOG is not set: run these tests through scripts/test-cluster.sh');
    return readFileSync(path, 'utf8');
  },
  mark(): number {
    return this.read().length;
  },
  since(mark: number): AuditEvent[] {
    return this.read()
      .slice(mark)
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as AuditEvent);
  },
};
