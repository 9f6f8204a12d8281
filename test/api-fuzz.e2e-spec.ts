import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from './support/database';
import { RunningApi, runWorker, startApi, temporaryDirectory } from './support/processes';
import { tool } from './support/tools';

const ADMIN_TOKEN = 'admin-token-schemathesis-01';
const READ_TOKEN = 'read-token-schemathesis-002';

/**
 * Checks left out, each because the OpenAPI document cannot say what the API
 * rightly does:
 * - positive_data_acceptance: schema-valid input the API must still refuse —
 *   cross-field rules (`from` ≤ `to`, ranges of at most 366 days, `to`
 *   defaulting to today) and ids that do not exist (404);
 * - unsupported_method: Fastify answers 404, not 405, for a method a path lacks.
 */
const EXCLUDED_CHECKS = ['positive_data_acceptance', 'unsupported_method'];

async function counts(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result: Record<string, number> = {};
    for (const table of ['workspaces', 'channels', 'users', 'messages', 'channel_day_rollups']) {
      result[table] = Number((await client.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    }
    return result;
  } finally {
    await client.end();
  }
}

describe('hostile input against the running API', () => {
  let database: TestDatabase;
  let api: RunningApi;
  let before: Record<string, number>;

  beforeAll(async () => {
    database = await createTestDatabase('fuzz');
    expect((await runWorker(['migrate'], { DATABASE_URL: database.url })).code).toBe(0);
    expect((await runWorker(['demo'], { DATABASE_URL: database.url }, 120_000)).code).toBe(0);
    api = await startApi({
      DATABASE_URL: database.url,
      API_TOKENS: READ_TOKEN,
      API_ADMIN_TOKENS: ADMIN_TOKEN,
      SLACK_SIGNING_SECRET: 'fuzz-signing-secret-0001',
      // The fuzzer sends thousands of requests from one address.
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'error',
    });
    before = await counts(database.url);
  });

  afterAll(async () => {
    await api?.stop();
    await database.drop();
  });

  it('schemathesis finds no server error and no response that breaks the OpenAPI document', async () => {
    const args = [
      'run',
      `${api.url}/docs-json`,
      '--checks',
      'all',
      '--exclude-checks',
      EXCLUDED_CHECKS.join(','),
      '--header',
      `Authorization: Bearer ${ADMIN_TOKEN}`,
      '--max-time',
      process.env.FUZZ_SECONDS ?? '45',
      // One worker: Python 3.11's ast.parse is not thread-safe (CPython gh-106905), and
      // Hypothesis parses lambdas' source while schemathesis generates coverage cases.
      '--workers',
      '1',
      '--seed',
      '20261130',
      '--request-timeout',
      '20',
      '--warnings',
      'off',
    ];
    const result = await promisify(execFile)(tool('../venv/bin/schemathesis'), args, {
      cwd: temporaryDirectory('schemathesis'),
      maxBuffer: 32 * 1024 * 1024,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SCHEMATHESIS_TELEMETRY: 'false', NO_COLOR: '1' },
    }).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: `${error.stdout}\n${error.stderr}` }),
    );
    const summary = result.output.slice(result.output.lastIndexOf('SUMMARY'));
    console.log(
      `schemathesis: ${summary
        .split('\n')
        .filter((line) => /generated|passed|failed|Tested/.test(line))
        .join(' | ')}`,
    );
    expect({ code: result.code, output: result.code === 0 ? '' : result.output.slice(-6000) }).toEqual({ code: 0, output: '' });
  });

  it('leaves every stored row as it was: SQL in parameters is data, never code', async () => {
    const hostile = ["' OR '1'='1", "'; DROP TABLE messages; --", '" OR 1=1 --', '%', '_', '\\', "') UNION SELECT * FROM users --"];
    const day = new Date().toISOString().slice(0, 10);
    for (const value of hostile) {
      const encoded = encodeURIComponent(value);
      // Each value is refused by the parameter's validation, which names the
      // parameter, or, where any value is allowed (the search text) or the
      // value is a well-formed Slack id (`_`), taken as data that matches nothing.
      const cases: { path: string; validated: string; takes: 'text' | 'id' | 'nothing' }[] = [
        { path: `/api/v1/channels?q=${encoded}`, validated: 'q', takes: 'text' },
        { path: `/api/v1/channels?teamId=${encoded}`, validated: 'teamId', takes: 'id' },
        { path: `/api/v1/channels?cursor=${encoded}`, validated: 'cursor', takes: 'nothing' },
        { path: `/api/v1/metrics/summary?teamId=${encoded}&to=${day}`, validated: 'teamId', takes: 'id' },
        { path: `/api/v1/metrics/summary?from=${encoded}`, validated: 'from', takes: 'nothing' },
        { path: `/api/v1/metrics/channels?sort=${encoded}`, validated: 'sort', takes: 'nothing' },
        { path: `/api/v1/metrics/channels/${encoded}`, validated: 'channelId', takes: 'id' },
        { path: `/api/v1/metrics/users/${encoded}?granularity=${encoded}`, validated: 'granularity', takes: 'nothing' },
        { path: `/api/v1/admin/sync-status?teamId=${encoded}`, validated: 'teamId', takes: 'id' },
      ];
      for (const { path, validated, takes } of cases) {
        const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
        const body = await response.text();
        expect(body).not.toMatch(/syntax error|pg_|relation "/i);
        if (takes === 'text' || (takes === 'id' && /^[A-Za-z0-9_-]{1,64}$/.test(value))) {
          const answer = { path, status: response.status, body: JSON.parse(body) as { data?: unknown[]; message?: string } };
          const nothingFound =
            response.status === 404 ? { message: expect.stringMatching(/^no (workspace|channel|member) /) } : { data: [] };
          expect(answer).toEqual({ path, status: response.status === 404 ? 404 : 200, body: expect.objectContaining(nothingFound) });
        } else {
          expect({ path, status: response.status, namesParameter: body.includes(validated) }).toEqual({
            path,
            status: 400,
            namesParameter: true,
          });
        }
      }
    }
    // The search treats % and _ literally: no channel is named with them, so nothing matches.
    const wildcard = await fetch(`${api.url}/api/v1/channels?q=%25`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(((await wildcard.json()) as { data: unknown[] }).data).toEqual([]);
    expect(await counts(database.url)).toEqual(before);
  });

  it('refuses unsigned and forged Slack requests without storing anything', async () => {
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'TDEMO00001',
      event_id: 'Ev0FORGED',
      event: { type: 'message', channel: 'CDEMO00001', user: 'U0MALLORY', ts: '1700000000.000100', text: 'forged' },
    });
    const now = Math.floor(Date.now() / 1000);
    const attempts: Record<string, string>[] = [
      {},
      { 'x-slack-request-timestamp': String(now), 'x-slack-signature': 'v0=' + '0'.repeat(64) },
      { 'x-slack-request-timestamp': String(now - 3600), 'x-slack-signature': 'v0=' + 'f'.repeat(64) },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${api.url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: event,
      });
      expect(response.status).toBe(401);
    }
    expect(await counts(database.url)).toEqual(before);
  });
});
