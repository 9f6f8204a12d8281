import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, TestDatabase } from './support/database';
import { runWorker, startApi } from './support/processes';

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { agent }, (response) => {
      response.resume();
      response.once('end', () => resolveStatus(response.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('shutdown');
    expect((await runWorker(['migrate'], { DATABASE_URL: database.url })).code).toBe(0);
  });

  afterAll(async () => {
    await database.drop();
  });

  it('turns not-ready at once, keeps serving through the drain delay, then exits 0', async () => {
    const drainSeconds = 2;
    const api = await startApi({ DATABASE_URL: database.url, SHUTDOWN_DRAIN_SECONDS: String(drainSeconds) });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      expect(await get(`${api.url}/health/ready`, agent)).toBe(200);

      const signalledAt = Date.now();
      api.child.kill('SIGTERM');
      await sleep(50);
      expect(await get(`${api.url}/health/ready`, agent)).toBe(503);

      // Requests keep being answered on connections opened before the signal and on new ones.
      const answered = { reusedConnection: [] as number[], newConnection: [] as number[] };
      while (Date.now() - signalledAt < drainSeconds * 1000 - 300) {
        answered.reusedConnection.push(await get(`${api.url}/health/live`, agent));
        answered.newConnection.push(await get(`${api.url}/health/live`, new Agent()));
        await sleep(100);
      }
      expect(answered.reusedConnection.length).toBeGreaterThan(0);
      expect(answered.newConnection.length).toBeGreaterThan(0);
      expect([...answered.reusedConnection, ...answered.newConnection].every((code) => code === 200)).toBe(true);
      expect(api.child.exitCode).toBeNull();

      const exitCode = await api.exited;
      expect(exitCode).toBe(0);
      expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(drainSeconds * 1000);
      expect(Date.now() - signalledAt).toBeLessThan(drainSeconds * 1000 + 5000);
    } finally {
      agent.destroy();
      await api.stop();
    }
  });
});
