import { setTimeout as sleep } from 'node:timers/promises';
import { steadyLoad } from './support/load';
import { PostgresServer, RunningApi, runWorker, startApi, startPostgresServer, waitFor } from './support/processes';

const READ_TOKEN = 'read-token-database-outage-1';
/** `RELIABILITY_SCALE=10` (scripts/reliability.sh) keeps the database away ten times longer. */
const SCALE = Number(process.env.RELIABILITY_SCALE ?? 1);

async function statusOf(url: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${READ_TOKEN}` }, signal: AbortSignal.timeout(5000) });
  await response.arrayBuffer();
  return response.status;
}

describe('database outage under load', () => {
  let postgres: PostgresServer;
  let api: RunningApi;

  beforeAll(async () => {
    postgres = await startPostgresServer();
    expect((await runWorker(['migrate'], { DATABASE_URL: postgres.url() })).code).toBe(0);
    api = await startApi({ DATABASE_URL: postgres.url(), API_TOKENS: READ_TOKEN, RATE_LIMIT_PER_MINUTE: '0' });
  });

  afterAll(async () => {
    await api?.stop();
    await postgres.stop();
  });

  it('answers 503 quickly while the database is away, stays live, and recovers by itself', async () => {
    let phase: 'before' | 'outage' | 'after' = 'before';
    const perPhase = { before: new Map<string, number>(), outage: new Map<string, number>(), after: new Map<string, number>() };
    let running = true;
    const load = steadyLoad({
      url: `${api.url}/api/v1/workspaces`,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
      concurrency: 4,
      maxDurationMs: 40_000 * SCALE,
      shouldSend: () => running,
      isSuccess: (status) => {
        const counts = perPhase[phase];
        counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
        return status === 200 || status === 503;
      },
    });

    await sleep(1000);
    await postgres.stop();
    phase = 'outage';
    const stoppedAt = Date.now();
    await waitFor(async () => ((await statusOf(`${api.url}/health/ready`)) === 503 ? true : undefined), 5000);
    const notReadyAfterMs = Date.now() - stoppedAt;
    const outageStarted = Date.now();
    let slowestOutageAnswerMs = 0;
    while (Date.now() - outageStarted < 3000 * SCALE) {
      const started = Date.now();
      expect(await statusOf(`${api.url}/api/v1/workspaces`)).toBe(503);
      slowestOutageAnswerMs = Math.max(slowestOutageAnswerMs, Date.now() - started);
      expect(await statusOf(`${api.url}/health/live`)).toBe(200);
      await sleep(200);
    }

    const traced = await fetch(`${api.url}/api/v1/workspaces`, {
      headers: { authorization: `Bearer ${READ_TOKEN}`, 'x-request-id': 'outage-request-1' },
    });
    expect(traced.status).toBe(503);
    await traced.arrayBuffer();
    const linesOf = (requestId: string) =>
      api
        .output()
        .split('\n')
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as { level: string; msg: string; req: { id: string } });
    // The warning about the request can be found from its access line, and the other way round.
    const outageLines = await waitFor(
      async () => (linesOf('outage-request-1').length >= 2 ? linesOf('outage-request-1') : undefined),
      5000,
    );
    expect(outageLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^database unavailable/), req: { id: 'outage-request-1' } }),
        expect.objectContaining({ level: 'error', msg: 'request completed', req: expect.objectContaining({ id: 'outage-request-1' }) }),
      ]),
    );

    await postgres.start();
    const restartedAt = Date.now();
    await waitFor(async () => ((await statusOf(`${api.url}/api/v1/workspaces`)) === 200 ? true : undefined), 10_000);
    const recoveredAfterMs = Date.now() - restartedAt;
    phase = 'after';
    await waitFor(async () => ((await statusOf(`${api.url}/health/ready`)) === 200 ? true : undefined), 10_000);
    await sleep(1000);
    running = false;
    const report = await load;

    console.log(
      `database outage: not ready ${notReadyAfterMs} ms after the stop; slowest API answer during the outage ${slowestOutageAnswerMs} ms; ` +
        `serving again ${recoveredAfterMs} ms after the restart; load ${report.sent} requests, ` +
        `by phase ${JSON.stringify(Object.fromEntries(Object.entries(perPhase).map(([name, counts]) => [name, Object.fromEntries(counts)])))}`,
    );
    expect(api.child.exitCode).toBeNull();
    expect(report.failed).toBe(0); // nothing but 200 and 503, no 500s, no resets, no timeouts
    expect(perPhase.outage.get('503')).toBeGreaterThan(0);
    expect(perPhase.after.get('200')).toBeGreaterThan(0);
    expect(perPhase.after.get('503') ?? 0).toBe(0);
  });
});
