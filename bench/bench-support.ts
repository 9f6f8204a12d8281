/**
 * What every benchmark needs: the repository's paths, its command-line
 * numbers, medians, and the test suite's throwaway PostgreSQL.
 */
import { spawn } from 'node:child_process';
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
  /** The URL of one of its databases. */
  url(database: string): string;
  stop(): Promise<void>;
}

/** test/support/postgres-server.mjs with its data under `directory`, the server the tests run. */
export async function startTestServer(directory: string): Promise<TestServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'test/support/postgres-server.mjs'), join(directory, 'pg'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolveStart, reject) => {
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited with ${code}`)));
    child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolveStart());
  });
  return {
    url: (database) => `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: () =>
      new Promise((resolveStop) => {
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}
