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
    await waitFor(async () => ((await status(`${api.url}/health/ready`)) === 503 ? true : undefined), 5000);
    expect(await status(`${api.url}/health/live`)).toBe(200);

    // While the database stays away, every probe stays 503 and names the database as the check that failed.
    for (let probe = 0; probe < 5; probe++) {
      const ready = await fetch(`${api.url}/health/ready`);
      expect({ status: ready.status, body: await ready.json() }).toMatchObject({
        status: 503,
        body: { error: { database: { status: 'down' } } },
      });
      expect(await status(`${api.url}/health/live`)).toBe(200);
    }

    await postgres.start();
    await waitFor(async () => ((await status(`${api.url}/health/ready`)) === 200 ? true : undefined), 10_000);
    expect(api.child.exitCode).toBeNull();
  });
});
