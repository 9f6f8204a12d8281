/**
 * Enterprise-sized workspace benchmark, run by hand. A workspace generated in
 * SQL (bench/metrics-dataset.ts) with its size as parameters — by default
 * 20,000,000 messages, 20,000 members, 2,000 channels over 730 days — and:
 *  - a full aggregation and, after one new day, an incremental run, with the
 *    peak memory of the worker process and of PostgreSQL;
 *  - raw and rollup table sizes;
 *  - every metric endpoint at 20 concurrent connections, uncached (each
 *    request a range, or a range and sort, no other request asked) over
 *    366-day and 30-day ranges, and cached (one question asked again and again).
 * Targets: uncached p99 ≤ 100 ms over 366 days and ≤ 50 ms over 30 days, an
 * incremental run ≤ 2 s. Exit code 1 if one is missed.
 *
 *   npm run build
 *   npx tsc -p bench/tsconfig.metrics.json
 *   node dist/bench/bench/scale.js [--messages N] [--members N] [--channels N] [--days N]
 *                                  [--requests N uncached per endpoint] [--seconds N cached per endpoint]
 *
 * The full run's ratio to a hand-written GROUP BY is bench/aggregate.ts's
 * measure; at this size it is reported there with the same parameters.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { freePort } from '../libs/db/src/free-port';
import { API, ROOT, WORKER, argument } from './bench-support';
import { COHORT_GRANULARITIES } from '../libs/metrics/src/queries/member-flow-queries.service';
import { CHANNEL_METRIC_SORTS, USER_METRIC_SORTS } from '../libs/metrics/src/queries/sorting';
import { FIRST_DAY, TEAM, generateMessages, generateWorkspace, startPostgres } from './metrics-dataset';

// autocannon ships no types; only what is used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: (options: Record<string, unknown>) => Promise<AutocannonResult> = require('autocannon');

interface AutocannonResult {
  latency: { p50: number; p97_5: number; p99: number; max: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}

const TOKEN = 'bench-read-token-0123456789';
const CONNECTIONS = 20;
const TARGET_P99_MS = { 366: 100, 30: 50 } as const;
const TARGET_INCREMENTAL_MS = 2000;
const SAMPLE_EVERY_MS = 250;
/** Asked before each measured run (JIT, pools), and never again. */
const WARM_UP_REQUESTS = 100;
/** Share of generated messages that are top-level, as in the 90-day dataset (760,000 of 1,060,000). */
const TOP_LEVEL_SHARE = 760 / 1060;

const DAY_MS = 86_400_000;
const dayAfter = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

function kibibytesOf(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : 0;
  } catch {
    return 0; // the process has exited
  }
}

function childrenOf(parent: number): number[] {
  return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * PostgreSQL's memory while `work` runs: the largest sum over the server's
 * processes of private memory (RssAnon), plus the largest shared memory any
 * one of them has touched (RssShmem: shared buffers, counted once).
 */
async function whileSamplingPostgres<T>(postmaster: number, work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peakPrivate = 0;
  let peakShared = 0;
  const sample = () => {
    const processes = [postmaster, ...childrenOf(postmaster)];
    peakPrivate = Math.max(
      peakPrivate,
      processes.reduce((sum, pid) => sum + kibibytesOf(pid, 'RssAnon'), 0),
    );
    peakShared = Math.max(peakShared, ...processes.map((pid) => kibibytesOf(pid, 'RssShmem')));
  };
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  try {
    const result = await work();
    sample();
    return { result, peakMiB: (peakPrivate + peakShared) / 1024 };
  } finally {
    clearInterval(timer);
  }
}

/** Runs a worker command, reading its peak RSS (VmHWM) until it exits. */
function runWorkerMeasured(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string; peakMiB: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env }, cwd: ROOT });
    let output = '';
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, kibibytesOf(child.pid!, 'VmHWM'))), SAMPLE_EVERY_MS);
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(timer);
      resolveRun({ code, output, peakMiB: peak / 1024 });
    });
  });
}

async function lastRun(client: Client): Promise<{ mode: string; days: number; rows: number; duration_ms: number }> {
  return (await client.query('SELECT mode, days, rows, duration_ms FROM aggregation_runs ORDER BY id DESC LIMIT 1')).rows[0];
}

async function tableSizes(client: Client): Promise<Array<{ table: string; rows: number; mib: number }>> {
  const { rows } = await client.query(`
    SELECT c.relname AS table, c.reltuples::bigint AS rows, pg_total_relation_size(c.oid) / 1048576.0 AS mib
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.relname IN ('messages', 'users', 'channels') OR c.relname LIKE '%rollups' OR c.relname LIKE 'member_%' OR c.relname LIKE '%\\_numbers')
    ORDER BY pg_total_relation_size(c.oid) DESC`);
  return rows.map((row) => ({ table: row.table, rows: Number(row.rows), mib: Number(row.mib) }));
}

async function startApi(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [API], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      API_TOKENS: TOKEN,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let attempt = 0; attempt < 150; attempt++) {
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the API did not become ready');
}

interface Endpoint {
  name: string;
  /** The path for the range `from`..`to`, the `variant`-th of the ways it can be asked. */
  path(from: string, to: string, variant: number): string;
  variants: number;
}

function endpoints(busiestChannel: string, busiestMember: string): Endpoint[] {
  const range = (from: string, to: string) => `teamId=${TEAM}&from=${from}&to=${to}`;
  return [
    { name: 'summary', variants: 1, path: (from, to) => `/api/v1/metrics/summary?${range(from, to)}` },
    { name: 'series (month)', variants: 1, path: (from, to) => `/api/v1/metrics/series?${range(from, to)}&granularity=month` },
    { name: 'active-members', variants: 1, path: (from, to) => `/api/v1/metrics/active-members?${range(from, to)}` },
    {
      name: 'channels',
      variants: CHANNEL_METRIC_SORTS.length,
      path: (from, to, variant) => `/api/v1/metrics/channels?${range(from, to)}&sort=${CHANNEL_METRIC_SORTS[variant]}`,
    },
    {
      name: 'channel series (week)',
      variants: 1,
      path: (from, to) => `/api/v1/metrics/channels/${busiestChannel}?${range(from, to)}&granularity=week`,
    },
    {
      name: 'users',
      variants: USER_METRIC_SORTS.length,
      path: (from, to, variant) => `/api/v1/metrics/users?${range(from, to)}&sort=${USER_METRIC_SORTS[variant]}`,
    },
    {
      name: 'user series (week)',
      variants: 1,
      path: (from, to) => `/api/v1/metrics/users/${busiestMember}?${range(from, to)}&granularity=week`,
    },
    { name: 'heatmap', variants: 1, path: (from, to) => `/api/v1/metrics/heatmap?${range(from, to)}` },
    {
      name: 'retention',
      variants: COHORT_GRANULARITIES.length,
      path: (from, to, variant) => `/api/v1/metrics/retention?${range(from, to)}&granularity=${COHORT_GRANULARITIES[variant]}`,
    },
    { name: 'members-flow (week)', variants: 1, path: (from, to) => `/api/v1/metrics/members-flow?${range(from, to)}&granularity=week` },
    { name: 'time-zones', variants: 1, path: (from, to) => `/api/v1/metrics/time-zones?${range(from, to)}` },
    { name: 'audience', variants: 1, path: (from, to) => `/api/v1/metrics/audience?${range(from, to)}` },
    {
      name: 'member × channel',
      variants: 1,
      path: (from, to) => `/api/v1/metrics/users/channels?${range(from, to)}&limit=100`,
    },
  ];
}

/**
 * Every question once: ranges of `length` days (and a few days shorter, for
 * more distinct ranges than start days) at every start day the dataset
 * allows, in each variant, shuffled so that neighbouring requests differ.
 */
function distinctPaths(endpoint: Endpoint, firstDay: string, days: number, length: number): string[] {
  const paths: string[] = [];
  for (let shorter = 0; shorter < Math.min(7, length - 1); shorter++) {
    const span = length - shorter;
    for (let start = 0; start + span <= days; start++)
      for (let variant = 0; variant < endpoint.variants; variant++)
        paths.push(endpoint.path(dayAfter(firstDay, start), dayAfter(firstDay, start + span - 1), variant));
  }
  let seed = 7;
  for (let index = paths.length - 1; index > 0; index--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const other = seed % (index + 1);
    [paths[index], paths[other]] = [paths[other], paths[index]];
  }
  return paths;
}

/** Each request takes the next unasked path, so no answer can come from the rollup cache. */
function loadUncached(url: string, paths: string[]): Promise<AutocannonResult> {
  let next = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    amount: paths.length,
    headers: { authorization: `Bearer ${TOKEN}` },
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, path: paths[next++] }) }],
  });
}

async function loadCached(url: string, path: string, seconds: number): Promise<AutocannonResult> {
  const options = { url: `${url}${path}`, connections: CONNECTIONS, headers: { authorization: `Bearer ${TOKEN}` } };
  await autocannon({ ...options, duration: 2 });
  return autocannon({ ...options, duration: seconds });
}

const format = (value: number, width = 6) => value.toFixed(0).padStart(width);

async function main(): Promise<void> {
  const messages = argument('--messages', 20_000_000);
  const members = argument('--members', 20_000);
  const channels = argument('--channels', 2_000);
  const days = argument('--days', 730);
  const seconds = argument('--seconds', 10);
  const requests = argument('--requests', 1000);
  const loadAtStart = loadavg();
  const postgres = await startPostgres();
  const env = { DATABASE_URL: postgres.url, METRICS_TIMEZONE: 'UTC' };
  const client = new Client({ connectionString: postgres.url });
  let api: ChildProcess | undefined;
  const missed: string[] = [];
  try {
    if ((await runWorkerMeasured(['migrate'], env)).code !== 0) throw new Error('migrate failed');
    await client.connect();
    const postmaster = Number(
      readFileSync(`/proc/${(await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid}/status`, 'utf8').match(
        /^PPid:\s+(\d+)/m,
      )![1],
    );
    let started = performance.now();
    const topLevel = Math.round(messages * TOP_LEVEL_SHARE);
    const stored = await generateWorkspace(postgres.url, FIRST_DAY, { topLevel, replies: messages - topLevel, members, channels, days });
    console.log(
      `dataset: ${stored.toLocaleString('en')} messages, ${members.toLocaleString('en')} members, ${channels.toLocaleString('en')} channels, ${days} days (generated in ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );

    const full = await whileSamplingPostgres(postmaster, () => runWorkerMeasured(['aggregate', '--full'], env));
    if (full.result.code !== 0) throw new Error(`aggregate --full failed:\n${full.result.output}`);
    const fullRun = await lastRun(client);
    console.log(
      `full aggregation: ${(fullRun.duration_ms / 1000).toFixed(1)} s, ${fullRun.rows.toLocaleString('en')} rollup rows; peak RSS worker ${format(full.result.peakMiB, 0)} MiB, PostgreSQL ${format(full.peakMiB, 0)} MiB`,
    );

    const nextDay = dayAfter(FIRST_DAY, days);
    started = performance.now();
    await generateMessages(client, {
      topLevel: Math.round(topLevel / days),
      replies: Math.round((messages - topLevel) / days),
      firstDay: nextDay,
      days: 1,
      seed: 0.77,
      shape: { members, channels },
    });
    await client.query(`UPDATE messages SET updated_at = now() WHERE posted_at >= $1::date`, [nextDay]);
    await client.query('ANALYZE messages');
    console.log(`new day ${nextDay} generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const incremental = await whileSamplingPostgres(postmaster, () => runWorkerMeasured(['aggregate'], env));
    if (incremental.result.code !== 0) throw new Error(`aggregate failed:\n${incremental.result.output}`);
    const incrementalRun = await lastRun(client);
    console.log(
      `incremental after one new day: ${incrementalRun.duration_ms} ms (${incrementalRun.mode}, ${incrementalRun.days} days, ${incrementalRun.rows} rows); peak RSS worker ${format(incremental.result.peakMiB, 0)} MiB, PostgreSQL ${format(incremental.peakMiB, 0)} MiB (target ≤ ${TARGET_INCREMENTAL_MS} ms)`,
    );
    if (incrementalRun.duration_ms > TARGET_INCREMENTAL_MS) missed.push('incremental run');

    await client.query('VACUUM ANALYZE');
    console.log('\ntable sizes:');
    for (const { table, rows, mib } of await tableSizes(client))
      console.log(`  ${table.padEnd(28)} ${rows.toLocaleString('en').padStart(12)} rows ${format(mib, 8)} MiB`);

    const [busiest] = (
      await client.query(`SELECT
        (SELECT channel_id FROM channel_day_rollups GROUP BY channel_id ORDER BY sum(messages) DESC LIMIT 1) AS channel,
        (SELECT user_id FROM member_day_rollups GROUP BY user_id ORDER BY sum(messages) DESC LIMIT 1) AS member`)
    ).rows;
    const served = await startApi(env);
    api = served.child;
    const url = served.url;
    const allDays = days + 1;
    for (const length of [366, 30] as const) {
      console.log(`\nuncached, ${length}-day ranges, ${CONNECTIONS} connections, up to ${requests} distinct requests each:`);
      for (const endpoint of endpoints(busiest.channel, busiest.member)) {
        const paths = distinctPaths(endpoint, FIRST_DAY, allDays, length);
        await loadUncached(url, paths.slice(0, WARM_UP_REQUESTS));
        const result = await loadUncached(url, paths.slice(WARM_UP_REQUESTS, WARM_UP_REQUESTS + requests));
        if (result.non2xx > 0 || result.errors > 0)
          throw new Error(`${endpoint.name}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
        const over = result.latency.p99 > TARGET_P99_MS[length];
        if (over) missed.push(`${endpoint.name} over ${length} days`);
        console.log(
          `  ${endpoint.name.padEnd(24)} p50 ${format(result.latency.p50, 5)} ms  p97.5 ${format(result.latency.p97_5, 5)} ms  p99 ${format(result.latency.p99, 5)} ms${over ? ' ✗' : ''}  ${format(result.requests.total, 6)} requests  ${format(result.requests.average, 5)} req/s`,
        );
      }
    }
    console.log(`\ncached (one 366-day question asked again), ${CONNECTIONS} connections, ${seconds} s each:`);
    for (const endpoint of endpoints(busiest.channel, busiest.member)) {
      const result = await loadCached(url, endpoint.path(dayAfter(FIRST_DAY, allDays - 366), dayAfter(FIRST_DAY, allDays - 1), 0), seconds);
      console.log(
        `  ${endpoint.name.padEnd(24)} p50 ${format(result.latency.p50, 5)} ms  p99 ${format(result.latency.p99, 5)} ms  ${format(result.requests.average, 6)} req/s`,
      );
    }
    const loadAtEnd = loadavg();
    console.log(
      `\nload average (1, 5, 15 min): at start ${loadAtStart.map((value) => value.toFixed(1)).join(', ')}; at end ${loadAtEnd.map((value) => value.toFixed(1)).join(', ')}`,
    );
    if (missed.length > 0) {
      console.log(`targets missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    api?.kill('SIGKILL');
    await client.end().catch(() => undefined);
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
