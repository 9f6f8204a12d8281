import { Client } from 'pg';
import { createLoginRole, createTestDatabase, TestDatabase } from './support/database';
import { runWorker, startApi } from './support/processes';

describe('start-up configuration check', () => {
  it('stops the process with one message naming every bad variable', async () => {
    const result = await runWorker(['migrate'], {
      PORT: 'http',
      DB_POOL_MAX: '1000',
      METRICS_TIMEZONE: 'Nowhere/Special',
      API_ADMIN_TOKENS: 'tiny',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    for (const variable of ['PORT', 'DB_POOL_MAX', 'METRICS_TIMEZONE', 'API_ADMIN_TOKENS']) {
      expect(result.stderr).toContain(`${variable}=`);
    }
    expect(result.stderr).not.toContain('tiny');
  });

  it('lists the worker commands in --help without touching a database', async () => {
    const result = await runWorker(['--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: worker \[options\] \[command\]/);
    for (const command of ['migrate', 'collect', 'import', 'aggregate', 'run', 'demo'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});

describe('the database named by host, port, role, password and name (as the chart passes it)', () => {
  let database: TestDatabase;
  let settings: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('db_params');
    const login = await createLoginRole(database);
    settings = { DB_HOST: login.host, DB_PORT: login.port, DB_USER: login.role, DB_PASSWORD: login.password, DB_NAME: login.name };
  });
  afterAll(() => database.drop());

  it('runs with no login fallback in the environment', () => {
    expect(Object.keys(process.env).filter((name) => name === 'USER' || name === 'LOGNAME' || name.startsWith('PG'))).toEqual([]);
  });

  it('migrates and serves as that role', async () => {
    const migrated = await runWorker(['migrate'], settings);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    const api = await startApi(settings);
    try {
      expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);
    } finally {
      await api.stop();
    }
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ owner: string }>("SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'messages'");
    await client.end();
    expect(rows).toEqual([{ owner: settings.DB_USER }]);
  });
});
