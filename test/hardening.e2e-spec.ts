import { loadConfig } from '@app/config';
import { DatabaseConnector, runPendingMigrations } from '@app/db';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { BODY_LIMIT_BYTES, createApiApplication } from '../apps/api/src/bootstrap';
import { createTestDatabase, TestDatabase } from './support/database';

const READ_TOKEN = 'read-token-hardening-000001';

async function apiWith(database: TestDatabase, env: Record<string, string>): Promise<NestFastifyApplication> {
  const app = await createApiApplication(
    loadConfig({ DATABASE_URL: database.url, API_TOKENS: READ_TOKEN, SLACK_SIGNING_SECRET: 'hardening-signing-secret', ...env }),
    new PassThrough().resume(),
  );
  await runPendingMigrations(await app.get(DatabaseConnector).connect());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('hardening of the HTTP surface', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('hardening');
  });

  afterAll(async () => {
    await database.drop();
  });

  it('refuses bodies over the limit with 413 before reading them into memory', async () => {
    const app = await apiWith(database, {});
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/slack/events',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ type: 'event_callback', padding: 'x'.repeat(BODY_LIMIT_BYTES) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    } finally {
      await app.close();
    }
  });

  it('answers a body that is not JSON with 400 in the API error shape', async () => {
    const app = await apiWith(database, {});
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/slack/events',
        headers: { 'content-type': 'application/json' },
        payload: '\u0000{not json',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/JSON/) });
    } finally {
      await app.close();
    }
  });

  it('serves of Swagger UI only the files its page loads', async () => {
    const app = await apiWith(database, {});
    const statusOf = async (url: string) => (await app.inject({ method: 'GET', url })).statusCode;
    try {
      const served = [
        '/docs',
        '/docs/',
        '/docs/index.html',
        '/docs/swagger-ui-init.js',
        '/docs/swagger-ui.css',
        '/docs/swagger-ui-bundle.js',
        '/docs/swagger-ui-standalone-preset.js',
        '/docs/favicon-32x32.png',
        '/docs-json',
      ];
      const hidden = [
        '/docs/package.json',
        '/docs/README.md',
        '/docs/swagger-ui-bundle.js.map',
        '/docs/swagger-ui.css.map',
        '/docs/%70ackage.json',
        '/docs/absolute-path.js',
        '/docs/LICENSE',
      ];
      expect(Object.fromEntries(await Promise.all([...served, ...hidden].map(async (url) => [url, await statusOf(url)])))).toEqual(
        Object.fromEntries([...served.map((url) => [url, 200]), ...hidden.map((url) => [url, 404])]),
      );
      // Every file the page names is among those served.
      const page = (await app.inject({ method: 'GET', url: '/docs/' })).body;
      const referenced = [...page.matchAll(/(?:href|src)="\.\/([^"]+)"/g)].map((match) => `/docs/${match[1]}`);
      expect(referenced.length).toBeGreaterThan(3);
      for (const url of referenced) expect({ url, status: await statusOf(url) }).toEqual({ url, status: 200 });
    } finally {
      await app.close();
    }
  });

  it('answers what the router refuses in the API error shape, without Fastify codes or the path', async () => {
    const app = await apiWith(database, {});
    try {
      const response = await app.inject({
        method: 'GET',
        url: `/api/v1/metrics/channels/${'C'.repeat(101)}`,
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(response.statusCode).toBe(414);
      expect(response.json()).toEqual({
        statusCode: 414,
        error: 'URI Too Long',
        message: 'a path parameter is longer than 100 characters',
      });
    } finally {
      await app.close();
    }
  });

  it('refuses a request with two Host headers', async () => {
    const app = await apiWith(database, {});
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.getHttpServer().address() as { port: number };
      const exchange = (headers: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.end(`GET /health/live HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`));
          let answer = '';
          socket.on('data', (chunk) => (answer += chunk));
          socket.on('end', () => resolve(answer));
          socket.on('error', reject);
        });
      const twice = await exchange('Host: api.example\r\nhost: evil.example\r\n');
      expect(twice).toMatch(/^HTTP\/1\.1 400 /);
      expect(twice).toContain('"message":"more than one Host header"');
      expect(await exchange('Host: api.example\r\n')).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      await app.close();
    }
  });

  it('rate-limits each client address, never probes, and honours X-Forwarded-For only from trusted proxies', async () => {
    const app = await apiWith(database, { RATE_LIMIT_PER_MINUTE: '3' });
    const get = (url: string, forwardedFor?: string) =>
      app.inject({
        method: 'GET',
        url,
        remoteAddress: '10.1.2.3',
        headers: { authorization: `Bearer ${READ_TOKEN}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      });
    try {
      const statuses = [];
      for (let request = 0; request < 4; request++) statuses.push((await get('/api/v1/workspaces', '203.0.113.7')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await get('/api/v1/workspaces', '203.0.113.7');
      expect(limited.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

      // Another client behind the same (trusted, private) proxy has its own budget.
      expect((await get('/api/v1/workspaces', '198.51.100.9')).statusCode).toBe(200);
      // Probes are never limited.
      for (let probe = 0; probe < 5; probe++) expect((await get('/health/live', '203.0.113.7')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('ignores X-Forwarded-For from an untrusted peer, so a client cannot pick its own budget', async () => {
    const app = await apiWith(database, { RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'false' });
    try {
      const statuses = [];
      for (const forwardedFor of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
        const response = await app.inject({
          method: 'GET',
          url: '/api/v1/workspaces',
          remoteAddress: '203.0.113.50',
          headers: { authorization: `Bearer ${READ_TOKEN}`, 'x-forwarded-for': forwardedFor },
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await app.close();
    }
  });
});
