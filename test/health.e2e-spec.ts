import { PostgresServer, RunningApi, runWorker, startApi, startPostgresServer, waitFor } from './support/processes';

async function status(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await response.arrayBuffer();
  return response.status;
}

describe('health endpoints', () => {
  let postgres: PostgresServer;
  let api: RunningApi;

  beforeAll(async () => {
    postgres = await startPostgresServer();
  });

  afterAll(async () => {
    await api?.stop();
    await postgres.stop();
  });

  it('ready is 503 until migrations are applied, then 200', async () => {
    api = await startApi({ DATABASE_URL: postgres.url() });
    const live = await fetch(`${api.url}/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(live.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(await live.json()).toMatchObject({ status: 'ok', error: {}, details: { heap: { status: 'up' }, eventLoop: { status: 'up' } } });
    const pending = await fetch(`${api.url}/health/ready`);
    expect(pending.status).toBe(503);
    expect(await pending.json()).toMatchObject({ error: { migrations: { status: 'down' } } });

    expect((await runWorker(['migrate'], { DATABASE_URL: postgres.url() })).code).toBe(0);
    expect(await status(`${api.url}/health/ready`)).toBe(200);
  });

  it('follows a database outage: ready 503 while live stays 200, then recovers by itself', async () => {
    await postgres.stop();
    const stoppedAt = Date.now();
    await waitFor(async () => ((await status(`${api.url}/health/ready`)) === 503 ? true : undefined), 5000);
    const notReadyAfterMs = Date.now() - stoppedAt;
    expect(await status(`${api.url}/health/live`)).toBe(200);

    // While the database stays away, every probe answers quickly and stays 503.
    for (let probe = 0; probe < 5; probe++) {
      const started = Date.now();
      expect(await status(`${api.url}/health/ready`)).toBe(503);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await status(`${api.url}/health/live`)).toBe(200);
    }

    await postgres.start();
    const restartedAt = Date.now();
    await waitFor(async () => ((await status(`${api.url}/health/ready`)) === 200 ? true : undefined), 10_000);
    const readyAfterMs = Date.now() - restartedAt;
    expect(api.child.exitCode).toBeNull();
    expect(notReadyAfterMs).toBeLessThan(5000);
    expect(readyAfterMs).toBeLessThan(10_000);
  });
});
