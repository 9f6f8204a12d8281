import { loadConfig } from '@app/config';
import { DatabaseConnector } from '@app/db';
import { AggregationService } from '@app/metrics';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { createApiApplication } from '../../apps/api/src/bootstrap';

export const READ_TOKEN = 'read-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

/** Parsed JSON bodies are checked field by field against the reference, so they stay loosely typed here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface ApiHarness {
  app: NestFastifyApplication;
  aggregation: AggregationService;
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; headers: Record<string, unknown>; json(): Json }>;
  post(path: string, body?: unknown, token?: string): Promise<{ status: number; json(): Json }>;
  close(): Promise<void>;
}

/** The real API application in-process (Fastify inject, no socket), on the given database. */
export async function startApiHarness(
  databaseUrl: string,
  timeZone: string,
  environment: Record<string, string> = {},
): Promise<ApiHarness> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    METRICS_TIMEZONE: timeZone,
    API_TOKENS: READ_TOKEN,
    API_ADMIN_TOKENS: ADMIN_TOKEN,
    LOG_LEVEL: 'error',
    // The suites make hundreds of requests from one address within a minute.
    RATE_LIMIT_PER_MINUTE: '0',
    // Suites that count or lock queries would meet the warm-up's; its own suite turns it on.
    CACHE_WARM_WORKSPACES: '0',
    ...environment,
  });
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = await createApiApplication(config, silent);
  await app.get(DatabaseConnector).connect();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    aggregation: app.get(AggregationService, { strict: false }),
    get: async (path, headers = { authorization: `Bearer ${READ_TOKEN}` }) => {
      const response = await app.inject({ method: 'GET', url: path, headers });
      return { status: response.statusCode, body: response.body, headers: response.headers, json: () => response.json() };
    },
    post: async (path, body, token = ADMIN_TOKEN) => {
      const response = await app.inject({
        method: 'POST',
        url: path,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.statusCode, json: () => response.json() };
    },
    close: () => app.close(),
  };
}
