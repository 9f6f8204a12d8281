import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@app/db';
import { samplePeakRss } from './peak-rss';

export const REPO_ROOT = resolve(__dirname, '../..');
const API_ENTRY = join(REPO_ROOT, 'dist/apps/api/main.js');
const WORKER_ENTRY = join(REPO_ROOT, 'dist/apps/worker/main.js');

function requireBuilt(entry: string): string {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` before the end-to-end tests`);
  return entry;
}

/** The environment of a child process: only what the test gives, never the developer's own settings. */
function childEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env };
}

export interface RunResult {
  code: number | null;
  /** The signal that ended the process, if one did (a native crash, say). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The process's peak resident set (VmHWM), as last sampled before it exited. */
  peakRssMib: number;
}

export interface StartedWorker {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  exited: Promise<number | null>;
  peakRssMib(): number;
}

/** Starts a built worker command without waiting for it (to signal it, say). */
export function startWorker(args: string[], env: Record<string, string>): StartedWorker {
  const child = spawn(process.execPath, [requireBuilt(WORKER_ENTRY), ...args], { env: childEnvironment(env), cwd: REPO_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolveExit(code));
  });
  return { child, output: () => ({ stdout, stderr }), exited, peakRssMib: samplePeakRss(child) };
}

export async function runWorker(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<RunResult> {
  const worker = startWorker(args, env);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    worker.child.kill('SIGKILL');
  }, timeoutMs);
  const code = await worker.exited.finally(() => clearTimeout(timer));
  const { stdout, stderr } = worker.output();
  if (timedOut) throw new Error(`worker ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`);
  return { code, signal: worker.child.signalCode, stdout, stderr, peakRssMib: worker.peakRssMib() };
}

export interface RunningApi {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts the built api and waits until it listens. */
export async function startApi(env: Record<string, string>): Promise<RunningApi> {
  const port = await freePort();
  const child = spawn(process.execPath, [requireBuilt(API_ENTRY)], {
    env: childEnvironment({ HOST: '127.0.0.1', PORT: String(port), ...env }),
    cwd: REPO_ROOT,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}:\n${output}`);
    return (
      (await fetch(`${url}/health/live`)
        .then((response) => response.ok)
        .catch(() => false)) || undefined
    );
  }, 30_000);
  return {
    url,
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface PostgresServer {
  url(database?: string): string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A PostgreSQL server of the test's own, which it may stop and start again. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const port = await freePort();
  const dataDir = join(temporaryDirectory('slack-metrics-pg'), 'pg');
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(process.execPath, [join(__dirname, 'postgres-server.mjs'), dataDir, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolveStart, reject) => {
      started.once('exit', (code) => reject(new Error(`PostgreSQL exited with ${code}`)));
      started.stdout?.on('data', (chunk) => String(chunk).includes('ready') && resolveStart());
    });
    child = started;
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise((resolveStop) => {
      running.once('exit', resolveStop);
      running.kill('SIGTERM');
    });
  };
  await start();
  return { url: (database = 'postgres') => `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`, start, stop };
}

/** Polls until `probe` returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
      if (error instanceof Error && error.message.startsWith('api exited')) throw error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await sleep(intervalMs);
  }
}

/**
 * A new directory inside the run's scratch directory (which the global teardown removes), that
 * PostgreSQL, running as the `postgres` user when the tests run as root, can enter.
 */
export function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(process.env.TEST_SCRATCH_DIR ?? tmpdir(), `${prefix}-`));
  chmodSync(directory, 0o755);
  return directory;
}
