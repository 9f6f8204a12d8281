import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, TestDatabase } from './support/database';
import { steadyLoad } from './support/load';
import { runWorker, startApi } from './support/processes';

const READ_TOKEN = 'read-token-rolling-update-01';
/** `RELIABILITY_SCALE=10` (scripts/reliability.sh) runs the load ten times longer. */
const SCALE = Number(process.env.RELIABILITY_SCALE ?? 1);

describe('rolling update: SIGTERM under steady load', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('rolling');
    expect((await runWorker(['migrate'], { DATABASE_URL: database.url })).code).toBe(0);
  });

  afterAll(async () => {
    await database.drop();
  });

  it('drops no request that started before readiness turned 503, and exits 0 within the grace period', async () => {
    const drainSeconds = 3;
    const api = await startApi({
      DATABASE_URL: database.url,
      API_TOKENS: READ_TOKEN,
      SHUTDOWN_DRAIN_SECONDS: String(drainSeconds),
      RATE_LIMIT_PER_MINUTE: '0',
    });
    // The endpoint controller's view: readiness polled every 200 ms; once it
    // reads 503 the pod is out of rotation and no new request is sent.
    let inRotation = true;
    let removedAt = 0;
    const poller = (async () => {
      while (inRotation) {
        const status = await fetch(`${api.url}/health/ready`).then(
          (response) => response.status,
          () => 0,
        );
        if (status !== 200) {
          inRotation = false;
          removedAt = Date.now();
        }
        await sleep(200);
      }
    })();

    // Requests started on either side of SIGTERM: the drain must serve both.
    const started = { beforeSignal: 0, afterSignal: 0 };
    let signalled = false;
    const load = steadyLoad({
      url: `${api.url}/api/v1/workspaces`,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
      concurrency: 8,
      maxDurationMs: 20_000 * SCALE,
      shouldSend: () => {
        if (inRotation) started[signalled ? 'afterSignal' : 'beforeSignal'] += 1;
        return inRotation;
      },
    });
    await sleep(1500 * SCALE);
    const signalledAt = Date.now();
    signalled = true;
    api.child.kill('SIGTERM');

    const [report] = await Promise.all([load, poller]);
    const exitCode = await api.exited;
    const exitedAfterMs = Date.now() - signalledAt;
    console.log(
      `rolling update: ${report.sent} requests sent, ${report.failed} failed, statuses ${JSON.stringify(report.statuses)}; ` +
        `out of rotation ${removedAt - signalledAt} ms after SIGTERM; exited ${exitedAfterMs} ms after SIGTERM with code ${exitCode}`,
    );
    expect(started.beforeSignal).toBeGreaterThan(0);
    expect(started.afterSignal).toBeGreaterThan(0);
    expect(report.failed).toBe(0);
    // Out of rotation while the API still serves: readiness turns before the drain ends.
    expect(removedAt - signalledAt).toBeLessThan(drainSeconds * 1000);
    expect(exitCode).toBe(0);
    // The chart's terminationGracePeriodSeconds is the drain delay plus a margin for in-flight work.
    expect(exitedAfterMs).toBeLessThan((drainSeconds + 10) * 1000);
  });
});
