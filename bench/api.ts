/**
 * API benchmark on a generated workspace of ≥ 1,000,000 messages over 90
 * days (aggregated first), with autocannon at 50 concurrent connections:
 *  - p99 latency of every metric endpoint over a 30-day range (target ≤ 50 ms);
 *  - requests/s of the API on a trivial route (GET /health/live) against a
 *    bare Fastify hello-world, measured in the same run: each round starts a
 *    fresh pair of servers and loads them one after the other, in alternating
 *    order; the median of the per-round ratios is judged (target ≥ 0.7×).
 * The API runs as built (`node dist/apps/api/main.js`), LOG_LEVEL=warn and
 * no per-client rate limit, as behind an ingress. Exit code 1 if a target is missed.
 *
 *   npm run build
 *   npx tsc -p bench/tsconfig.metrics.json
 *   node dist/bench/bench/api.js [--seconds 10] [--rounds 9] [--round-seconds 5]
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { freePort } from '../libs/db/src/free-port';
import { API, ROOT, argument, median } from './bench-support';
import { FIRST_DAY, generateWorkspace, runWorker, startPostgres } from './metrics-dataset';

// autocannon ships no types; only what is used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: (options: Record<string, unknown>) => Promise<AutocannonResult> = require('autocannon');

interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
}

const TOKEN = 'bench-read-token-0123456789';
const CONNECTIONS = 50;
const TARGET_P99_MS = 50;
const TARGET_THROUGHPUT_RATIO = 0.7;

const BARE_FASTIFY = `
  const fastify = require('fastify')({ logger: false });
  fastify.get('/', async () => ({ hello: 'world' }));
  fastify.listen({ port: Number(process.argv[1]), host: '127.0.0.1' }).then(() => console.log('ready'));`;

/**
 * For the trivial route, the servers run on the last CPU and the load generator
 * (this process) on the others, when `taskset` can pin them: otherwise the
 * scheduler puts them on one core at times, and which server that happens to
 * is luck. Pinned only then: PostgreSQL and the worker need every core.
 */
const SERVER_CPU = availableParallelism() - 1;

function pinLoadGenerator(): boolean {
  return (
    SERVER_CPU > 0 && spawnSync('taskset', ['-a', '-p', '-c', `0-${SERVER_CPU - 1}`, String(process.pid)], { stdio: 'ignore' }).status === 0
  );
}

async function startProcess(args: string[], env: Record<string, string>, readyUrl: string, pinned = false): Promise<ChildProcess> {
  const command = pinned ? ['taskset', '-c', String(SERVER_CPU), process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let attempt = 0; attempt < 150; attempt++) {
    if (
      await fetch(readyUrl).then(
        (response) => response.ok,
        () => false,
      )
    )
      return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not become ready`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function load(url: string, seconds: number, headers: Record<string, string> = {}): Promise<AutocannonResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return result;
}

/** Warm-up (JIT, pools, caches), then the measured run. */
async function warmAndLoad(url: string, seconds: number, headers: Record<string, string> = {}): Promise<AutocannonResult> {
  await load(url, 2, headers);
  return load(url, seconds, headers);
}

async function main(): Promise<void> {
  const seconds = argument('--seconds', 10);
  const rounds = argument('--rounds', 9);
  const roundSeconds = argument('--round-seconds', 5);
  const postgres = await startPostgres();
  const env = { DATABASE_URL: postgres.url, METRICS_TIMEZONE: 'UTC' };
  const children: ChildProcess[] = [];
  try {
    if ((await runWorker(['migrate'], env)).code !== 0) throw new Error('migrate failed');
    const messages = await generateWorkspace(postgres.url);
    const aggregated = await runWorker(['aggregate', '--full'], env);
    if (aggregated.code !== 0) throw new Error(`aggregate failed:\n${aggregated.output}`);
    console.log(`dataset: ${messages} messages over 90 days, aggregated`);

    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const apiEnv = { ...env, HOST: '127.0.0.1', API_TOKENS: TOKEN, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0' };
    children.push(await startProcess([API], { ...apiEnv, PORT: String(apiPort) }, `${api}/health/ready`));
    const headers = { authorization: `Bearer ${TOKEN}` };
    const from = new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + 60 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.parse(`${from}T00:00:00Z`) + 29 * 86_400_000).toISOString().slice(0, 10);
    const range = `from=${from}&to=${to}`;
    const endpoints = [
      `/api/v1/metrics/summary?${range}`,
      `/api/v1/metrics/active-members?${range}`,
      `/api/v1/metrics/channels?${range}`,
      `/api/v1/metrics/channels/CB0007?${range}&granularity=week`,
      `/api/v1/metrics/users?${range}`,
      `/api/v1/metrics/users/UB00003?${range}`,
      `/api/v1/metrics/heatmap?${range}`,
    ];
    let worstP99 = 0;
    console.log(`\nmetric endpoints, ${CONNECTIONS} connections, ${seconds} s each:`);
    for (const endpoint of endpoints) {
      const result = await warmAndLoad(`${api}${endpoint}`, seconds, headers);
      worstP99 = Math.max(worstP99, result.latency.p99);
      console.log(
        `  ${endpoint.padEnd(72)} p50 ${String(result.latency.p50).padStart(4)} ms  p99 ${String(result.latency.p99).padStart(4)} ms  ${result.requests.average.toFixed(0).padStart(6)} req/s`,
      );
    }

    // A fresh pair of servers per round, loaded in alternating order: on a shared 2-core VM
    // one process can run a third slower than the next for its whole life, and the machine
    // itself changes speed from one minute to the next.
    const pinned = pinLoadGenerator();
    const ratios: number[] = [];
    console.log(
      `\ntrivial route, ${rounds} rounds of ${roundSeconds} s, ${pinned ? `servers pinned to CPU ${SERVER_CPU}` : 'not pinned'}:`,
    );
    for (let round = 1; round <= rounds; round++) {
      const barePort = await freePort();
      const bareUrl = `http://127.0.0.1:${barePort}/`;
      const bare = await startProcess(['-e', BARE_FASTIFY, String(barePort)], {}, bareUrl, pinned);
      children.push(bare);
      const trivialPort = await freePort();
      const trivialUrl = `http://127.0.0.1:${trivialPort}/health/live`;
      const trivialApi = await startProcess([API], { ...apiEnv, PORT: String(trivialPort) }, trivialUrl, pinned);
      children.push(trivialApi);
      await load(bareUrl, 2);
      await load(trivialUrl, 2);
      const order = round % 2 === 1 ? [bareUrl, trivialUrl] : [trivialUrl, bareUrl];
      const requestsPerSecond = new Map<string, number>();
      for (const url of order) requestsPerSecond.set(url, (await load(url, roundSeconds)).requests.average);
      await stop(bare);
      await stop(trivialApi);
      const bareRate = requestsPerSecond.get(bareUrl)!;
      const apiRate = requestsPerSecond.get(trivialUrl)!;
      ratios.push(apiRate / bareRate);
      console.log(
        `  round ${round}: bare Fastify hello-world ${bareRate.toFixed(0).padStart(6)} req/s, API GET /health/live ${apiRate.toFixed(0).padStart(6)} req/s → ${ratios.at(-1)!.toFixed(2)}×`,
      );
    }
    const ratio = median(ratios);
    console.log(`\nthroughput ratio, median of rounds: ${ratio.toFixed(2)}× (target ≥ ${TARGET_THROUGHPUT_RATIO}×)`);
    console.log(`worst metric endpoint p99: ${worstP99} ms (target ≤ ${TARGET_P99_MS} ms)`);
    if (worstP99 > TARGET_P99_MS || ratio < TARGET_THROUGHPUT_RATIO) process.exitCode = 1;
  } finally {
    for (const child of children) await stop(child);
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
