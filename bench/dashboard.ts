/**
 * Dashboard benchmark on the API benchmark's workspace (≥ 1,000,000 messages over 90 days,
 * aggregated first): from navigation to the numbers on screen, for each view, in Debian's
 * Chromium (headless, through playwright-core) against the built API. Target ≤ 1 s.
 *  - cold: a fresh API process (no answer cached) and a fresh browser profile (no file cached),
 *    for every measurement;
 *  - warm: the same view loaded again in the same browser from the same API (files from the
 *    browser's cache, the page revalidated, answers from the API's cache).
 * The signed-in state is put in sessionStorage before the page loads, as after a sign-in; the
 * range is the dataset's last 30 days. Exit code 1 if a median misses the target.
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
import { freePort } from '../libs/db/src/free-port';
import { launchChromium } from '../test/browser/chromium';
import { API, ROOT, argument, median } from './bench-support';
import { DAYS, FIRST_DAY, generateWorkspace, runWorker, startPostgres } from './metrics-dataset';

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
  const child: ChildProcess = spawn(process.execPath, [API], { cwd: ROOT, env: { PATH: process.env.PATH, ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  for (let attempt = 0; attempt < 150; attempt++) {
    if (await fetch(`${url}/health/ready`).then((response) => response.ok, () => false)) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error('the API did not become ready');
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
    const messages = await generateWorkspace(postgres.url);
    const aggregated = await runWorker(['aggregate', '--full'], env);
    if (aggregated.code !== 0) throw new Error(`aggregate failed:\n${aggregated.output}`);
    const to = addDays(FIRST_DAY, DAYS - 1);
    const from = addDays(to, -29);
    console.log(`dataset: ${messages} messages over ${DAYS} days, aggregated; range ${from}..${to}`);

    const cold = new Map<string, number[]>(VIEWS.map((view) => [view, []]));
    const warm = new Map<string, number[]>(VIEWS.map((view) => [view, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const view of VIEWS) {
        const api = await startApi(apiEnv);
        const profile = mkdtempSync(join(tmpdir(), 'slack-metrics-bench-chromium-'));
        const context = await launchChromium(profile, { viewport: { width: 1280, height: 900 } });
        try {
          await context.addInitScript({ content: `sessionStorage.setItem('slack-metrics.read-token', ${JSON.stringify(TOKEN)})` });
          const page = await context.newPage();
          const url = `${api.url}/dashboard/?${view === 'overview' ? '' : `view=${view}&`}from=${from}&to=${to}`;
          cold.get(view)!.push(await timeView(page, url));
          for (let again = 0; again < 3; again++) warm.get(view)!.push(await timeView(page, url));
        } finally {
          await context.close();
          await api.stop();
          rmSync(profile, { recursive: true, force: true });
        }
      }
      console.log(`round ${round}: ${VIEWS.map((view) => `${view} cold ${cold.get(view)!.at(-1)!.toFixed(0)} ms, warm ${warm.get(view)!.at(-1)!.toFixed(0)} ms`).join('; ')}`);
    }
    let worst = 0;
    console.log(`\nnavigation to numbers on screen, median of ${rounds} cold and ${rounds * 3} warm loads (target ≤ ${TARGET_MS} ms):`);
    for (const view of VIEWS) {
      const coldMedian = median(cold.get(view)!);
      const warmMedian = median(warm.get(view)!);
      worst = Math.max(worst, coldMedian, warmMedian);
      console.log(`  ${view.padEnd(9)} cold ${coldMedian.toFixed(0).padStart(5)} ms (max ${Math.max(...cold.get(view)!).toFixed(0)})   warm ${warmMedian.toFixed(0).padStart(5)} ms (max ${Math.max(...warm.get(view)!).toFixed(0)})`);
    }
    if (worst > TARGET_MS) process.exitCode = 1;
  } finally {
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
