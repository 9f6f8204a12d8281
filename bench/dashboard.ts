/**
 * Dashboard benchmark on the API benchmark's workspace (≥ 1,000,000 messages over the 90 days up
 * to today, aggregated first): from navigation to the numbers on screen, for each view opened as a
 * reader opens it (the last 30 days), in Debian's Chromium (headless, through playwright-core)
 * against the built API. Target ≤ 1 s.
 *  - cold, uncached: a fresh API process that does not warm its cache (CACHE_WARM_WORKSPACES=0),
 *    so the view's queries run for this reader, and a fresh browser profile (no file cached);
 *  - cold, warmed: a fresh API process that has warmed its cache as it does after every
 *    aggregation run (the benchmark waits until the database is idle), and a fresh browser profile;
 *  - warm: the same view loaded again in the same browser from the same API (files from the
 *    browser's cache, the page revalidated, answers from the API's cache).
 * The signed-in state is put in sessionStorage before the page loads, as after a sign-in.
 * Exit code 1 if a median of the warmed or warm loads misses the target.
 *
 *   npm run build
 *   npx tsc -p bench/tsconfig.metrics.json
 *   node dist/bench/bench/dashboard.js [--rounds 5]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Client } from 'pg';
import { freePort } from '../libs/db/src/free-port';
import { launchChromium } from '../test/browser/chromium';
import { API, ROOT, argument, median } from './bench-support';
import { DAYS, generateWorkspace, runWorker, startPostgres } from './metrics-dataset';

const TOKEN = 'bench-read-token-0123456789';
const TARGET_MS = 1000;
const VIEWS = ['overview', 'channels', 'members', 'when'] as const;

function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10);
}

interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

async function startApi(env: Record<string, string>): Promise<RunningApi> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [API], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  for (let attempt = 0; attempt < 150; attempt++) {
    if (
      await fetch(`${url}/health/ready`).then(
        (response) => response.ok,
        () => false,
      )
    )
      return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error('the API did not become ready');
}

/** Milliseconds until no other session of the database runs a query (the API's warm-up is over). */
async function databaseIdle(url: string): Promise<number> {
  const started = performance.now();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let idleChecks = 0; idleChecks < 3;) {
      const [{ active }] = (
        await client.query(
          `SELECT count(*)::int AS active FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
        )
      ).rows;
      idleChecks = active === 0 ? idleChecks + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return performance.now() - started - 300;
  } finally {
    await client.end();
  }
}

/** Milliseconds from the start of navigation to the view's numbers in the document. */
async function timeView(page: Page, url: string): Promise<number> {
  const started = performance.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector('main[data-loaded]:not([aria-busy])', { timeout: 30_000 });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const rounds = argument('--rounds', 5);
  const postgres = await startPostgres();
  const env = { DATABASE_URL: postgres.url, METRICS_TIMEZONE: 'UTC' };
  const apiEnv = { ...env, API_TOKENS: TOKEN, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0' };
  try {
    if ((await runWorker(['migrate'], env)).code !== 0) throw new Error('migrate failed');
    const today = new Date().toISOString().slice(0, 10);
    const messages = await generateWorkspace(postgres.url, addDays(today, -(DAYS - 1)));
    const aggregated = await runWorker(['aggregate', '--full'], env);
    if (aggregated.code !== 0) throw new Error(`aggregate failed:\n${aggregated.output}`);
    console.log(`dataset: ${messages} messages over the ${DAYS} days up to ${today}, aggregated; each view opened on its last 30 days`);

    const uncached = new Map<string, number[]>(VIEWS.map((view) => [view, []]));
    const cold = new Map<string, number[]>(VIEWS.map((view) => [view, []]));
    const warm = new Map<string, number[]>(VIEWS.map((view) => [view, []]));
    const warmUps: number[] = [];
    const load = async (view: string, warmed: boolean) => {
      const api = await startApi({ ...apiEnv, CACHE_WARM_WORKSPACES: warmed ? '10' : '0' });
      const profile = mkdtempSync(join(tmpdir(), 'slack-metrics-bench-chromium-'));
      try {
        if (warmed) warmUps.push(await databaseIdle(postgres.url));
        const context = await launchChromium(profile, { viewport: { width: 1280, height: 900 } });
        try {
          await context.addInitScript({ content: `sessionStorage.setItem('slack-metrics.read-token', ${JSON.stringify(TOKEN)})` });
          const page = await context.newPage();
          const url = `${api.url}/dashboard/${view === 'overview' ? '' : `?view=${view}`}`;
          (warmed ? cold : uncached).get(view)!.push(await timeView(page, url));
          if (warmed) for (let again = 0; again < 3; again++) warm.get(view)!.push(await timeView(page, url));
        } finally {
          await context.close();
        }
      } finally {
        await api.stop();
        rmSync(profile, { recursive: true, force: true });
      }
    };
    for (let round = 1; round <= rounds; round++) {
      for (const view of VIEWS) {
        // Alternated, so that the machine's mood of the minute falls on both.
        await load(view, round % 2 === 0);
        await load(view, round % 2 !== 0);
      }
      const last = (figures: Map<string, number[]>, view: string) => figures.get(view)!.at(-1)!.toFixed(0);
      console.log(
        `round ${round}: ${VIEWS.map((view) => `${view} uncached ${last(uncached, view)}, warmed ${last(cold, view)}, warm ${last(warm, view)} ms`).join('; ')}`,
      );
    }
    let worst = 0;
    console.log(
      `\nnavigation to numbers on screen, median of ${rounds} cold loads each and ${rounds * 3} warm (target ≤ ${TARGET_MS} ms):`,
    );
    const figure = (values: number[]) => `${median(values).toFixed(0).padStart(5)} ms (max ${Math.max(...values).toFixed(0)})`;
    for (const view of VIEWS) {
      worst = Math.max(worst, median(cold.get(view)!), median(warm.get(view)!));
      console.log(
        `  ${view.padEnd(9)} cold uncached ${figure(uncached.get(view)!)}   cold warmed ${figure(cold.get(view)!)}   warm ${figure(warm.get(view)!)}`,
      );
    }
    console.log(
      `the API's warm-up took ${median(warmUps).toFixed(0)} ms (median; max ${Math.max(...warmUps).toFixed(0)}) after it was ready`,
    );
    if (worst > TARGET_MS) process.exitCode = 1;
  } finally {
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
