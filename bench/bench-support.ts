/**
 * What every benchmark needs: the repository's paths, its command-line
 * numbers, medians, and the test suite's throwaway PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../libs/db/src/free-port';

export const ROOT = resolve(__dirname, '../../..');
export const WORKER = join(ROOT, 'dist/apps/worker/main.js');
export const API = join(ROOT, 'dist/apps/api/main.js');

export function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

export function median(values: number[]): number {
  return [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)];
}

export interface TestServer {
  /** Where the server's data lives; a benchmark may write its own files here too. */
  directory: string;
  /** The URL of one of its databases. */
  url(database: string): string;
  /** Stops the server and removes its directory, unless the benchmark runs with `--keep`. */
  stop(): Promise<void>;
}

/**
 * test/support/postgres-server.mjs with its data in a new directory under $TMPDIR, the server
 * the tests run. A benchmark's data takes gigabytes, so the directory goes when the server stops,
 * Ctrl-C included.
 */
export async function startTestServer(name: string): Promise<TestServer> {
  const directory = mkdtempSync(join(tmpdir(), `${name}-`));
  // Run as root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
  chmodSync(directory, 0o755);
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'test/support/postgres-server.mjs'), join(directory, 'pg'), String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  await new Promise<void>((resolveStart, reject) => {
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited with ${code}`)));
    child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolveStart());
  });
  const stop = async () => {
    process.off('SIGINT', interrupted);
    child.kill('SIGTERM');
    await exited;
    if (!process.argv.includes('--keep')) rmSync(directory, { recursive: true, force: true });
  };
  const interrupted = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  return { directory, url: (database) => `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`, stop };
}
