import { loadConfig } from '@app/config';
import { DatabaseConnector, runPendingMigrations } from '@app/db';
import { AppLogger } from '@app/observability';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { createApiApplication } from '../apps/api/src/bootstrap';
import { createTestDatabase, TestDatabase } from './support/database';

const READ_TOKEN = 'read-token-observability-0001';
const ADMIN_TOKEN = 'admin-token-observability-0002';
const SIGNING_SECRET = 'signing-secret-observability';
const BOT_TOKEN = 'xoxb-observability-bot-token';

describe('observability', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let logLines: string[];
  let databasePassword: string;
  let databaseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('observability');
    // A role of the test's own, so the password is a value that appears nowhere else.
    databasePassword = `db-password-${randomBytes(8).toString('hex')}`;
    const role = `observer_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${databasePassword}'`);
    await admin.end();
    const url = new URL(database.url);
    url.username = role;
    url.password = databasePassword;
    databaseUrl = url.toString();
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      API_TOKENS: READ_TOKEN,
      API_ADMIN_TOKENS: ADMIN_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      LOG_LEVEL: 'debug',
    });
    const capture = new PassThrough();
    logLines = [];
    capture.on('data', (chunk) => logLines.push(...String(chunk).split('\n').filter(Boolean)));
    app = await createApiApplication(config, capture);
    await runPendingMigrations(await app.get(DatabaseConnector).connect());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('writes one JSON access line per request with a request id, and none for probes', async () => {
    await app.inject({ method: 'GET', url: '/health/live' });
    await app.inject({ method: 'GET', url: '/health/ready' });
    await app.inject({ method: 'GET', url: '/metrics' });
    const response = await app.inject({ method: 'GET', url: '/api/v1/workspaces?x=1', headers: { 'x-request-id': 'req-42' } });
    expect(response.headers['x-request-id']).toBe('req-42');
    const generated = await app.inject({ method: 'GET', url: '/api/v1/workspaces', headers: { 'x-request-id': 'not a valid id!' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const accessLines = logged().filter((line) => line.req !== undefined);
    expect(accessLines.map((line) => (line.req as { url: string }).url)).toEqual(['/api/v1/workspaces?x=1', '/api/v1/workspaces']);
    expect(accessLines[0]).toMatchObject({ level: 'warn', req: { id: 'req-42', method: 'GET' }, res: { statusCode: 401 } });
  });

  it('keeps tokens, signatures and passwords out of every log line', async () => {
    await app.inject({
      method: 'GET',
      url: '/api/v1/workspaces',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-slack-signature': 'v0=abcdef0123456789', cookie: 'session=cookie-value-123' },
    });
    const logger = app.get(AppLogger);
    logger.error(`could not connect to ${databaseUrl}`, 'Test');
    logger.log({ msg: 'object with secrets', token: READ_TOKEN, nested: { secret: SIGNING_SECRET } }, 'Test');
    logger.warn(`slack said invalid_auth for ${BOT_TOKEN}`, 'Test');

    const all = logLines.join('\n');
    for (const secret of [
      ADMIN_TOKEN,
      READ_TOKEN,
      SIGNING_SECRET,
      BOT_TOKEN,
      databasePassword,
      'v0=abcdef0123456789',
      'cookie-value-123',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[REDACTED]');
    expect(all).toContain('could not connect to postgresql://');
  });

  it('logs an error as its type, code, message and stack, leaving out what a failed query carries', async () => {
    const failedInsert = Object.assign(new TypeError('insert into messages failed'), {
      code: '23505',
      query: 'INSERT INTO messages (text) VALUES ($1)',
      parameters: ['a private message from Erin'],
    });
    app.get(AppLogger).error({ err: failedInsert }, 'import failed', 'Test');
    await new Promise(setImmediate); // the captured stream delivers on a later tick
    const line = logged().find((entry) => entry.msg === 'import failed');
    expect(line?.err).toEqual({
      type: 'TypeError',
      code: '23505',
      message: 'insert into messages failed',
      stack: expect.stringContaining('TypeError'),
    });
    expect(logLines.join('\n')).not.toContain('private message from Erin');
  });

  it('exports request durations by route template, never by raw path, and leaves probes out', async () => {
    await app.inject({ method: 'GET', url: '/no-such-route/U999SECRETID' });
    await app.inject({ method: 'GET', url: '/api/v1/channels?q=U999SECRETID' });
    await app.inject({ method: 'GET', url: '/health/live' });
    const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(body).toMatch(
      /slack_metrics_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/channels",status_code="401"\} \d+/,
    );
    expect(body).toMatch(/slack_metrics_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} \d+/);
    expect(body).not.toMatch(/route="\/(health|metrics)/);
    expect(body).not.toContain('U999SECRETID');
    expect(body).toContain('slack_metrics_process_resident_memory_bytes');
    expect(body).toMatch(/slack_metrics_database_up 1/);
  });
});
