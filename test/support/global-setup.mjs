// One PostgreSQL server for the whole run (each test file makes its own
// database in it), unless TEST_DATABASE_URL names a server to use instead,
// and one scratch directory that holds every file the run writes (the global
// teardown removes it, so repeated runs do not fill the disk).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `pg` falls back to the operating system's user (USER) and to libpq's PG*
 * variables for whatever a configuration leaves out, so a setting that names
 * no role would still log in on a developer's machine and then fail in a pod.
 * Every test runs without them, as a container does.
 */
function dropLoginFallbacks() {
  for (const name of Object.keys(process.env)) {
    if (name === 'USER' || name === 'LOGNAME' || name.startsWith('PG')) delete process.env[name];
  }
}

export default async function globalSetup() {
  dropLoginFallbacks();
  const scratch = mkdtempSync(join(tmpdir(), 'slack-metrics-test-'));
  // Run as root, PostgreSQL runs as the `postgres` user, which must reach the data directories.
  chmodSync(scratch, 0o755);
  process.env.TEST_SCRATCH_DIR = scratch;
  if (process.env.TEST_DATABASE_URL) return;
  const port = await freePort();
  const dataDir = join(scratch, 'pg');
  const child = spawn(process.execPath, [join(here, 'postgres-server.mjs'), dataDir, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`test PostgreSQL exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('ready')) resolve();
    });
  });
  globalThis.__TEST_POSTGRES__ = child;
  process.env.TEST_DATABASE_URL = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
}
