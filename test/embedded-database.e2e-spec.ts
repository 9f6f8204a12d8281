import { RunningApi, runWorker, startApi, temporaryDirectory } from './support/processes';

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  let api: RunningApi | undefined;

  afterAll(async () => {
    if (api && api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });

  it('starts one server for the checkout and lets a worker command share it', async () => {
    const env = { EMBEDDED_PG_DIR: temporaryDirectory('embedded'), SHUTDOWN_DRAIN_SECONDS: '0', LOG_LEVEL: 'info' };
    api = await startApi(env);
    expect(api.output()).toContain('embedded PostgreSQL listening');
    expect((await fetch(`${api.url}/health/ready`)).status).toBe(503);

    const migrate = await runWorker(['migrate'], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout + migrate.stderr).toContain('reusing the embedded PostgreSQL already running');
    expect(migrate.stdout + migrate.stderr).not.toContain('initialising');

    expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
