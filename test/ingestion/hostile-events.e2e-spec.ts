import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { RunningApi, runWorker, startApi } from '../support/processes';
import { deliverSlackEvent, eventCallback } from '../support/slack-events';

const SECRET = 'hostile-events-signing-secret';
const READ_TOKEN = 'read-token-hostile-events-01';
const TEAM = 'T0HOSTILE';
const CHANNEL = 'C0HOSTILE';
const INT_MAX = 2_147_483_647;

let eventCounter = 0;
const nextEventId = () => `Ev0HOSTILE${String(++eventCounter).padStart(6, '0')}`;

function ts(day: number, minute = 0): string {
  // 2024-06-01T00:00:00Z and the days after it.
  return `${1_717_200_000 + day * 86_400 + minute * 60}.000100`;
}

function message(fields: Record<string, unknown>): Record<string, unknown> {
  return { type: 'message', channel: CHANNEL, channel_type: 'channel', user: 'U0ALICE', text: 'x', ts: ts(0), ...fields };
}

async function rowCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*)::int FROM workspaces) AS workspaces, (SELECT count(*)::int FROM channels) AS channels,
            (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM messages) AS messages,
            (SELECT count(*)::int FROM processed_events) AS events`,
  );
  return row;
}

describe('signed Slack events carrying values no row can hold', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: RunningApi;
  const deliver = (body: unknown) => deliverSlackEvent(api.url, { body, secret: SECRET });

  beforeAll(async () => {
    database = await createTestDatabase('hostile_events');
    dataSource = await migratedDataSource(database);
    api = await startApi({ DATABASE_URL: database.url, SLACK_SIGNING_SECRET: SECRET, API_TOKENS: READ_TOKEN });
    // A workspace, channel and user known beforehand, so that skipped deliveries would show as new rows.
    expect((await deliver(eventCallback(TEAM, nextEventId(), message({ ts: ts(0, 1) })))).status).toBe(200);
  });

  afterAll(async () => {
    await api?.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it.each([
    ['a ts past year 9999', eventCallback(TEAM, nextEventId(), message({ ts: '253402300800.000000' }))],
    ['a ts of 20 digits', eventCallback(TEAM, nextEventId(), message({ ts: '12345678901234567890.000001' }))],
    ['NUL in the user id', eventCallback(TEAM, nextEventId(), message({ user: 'U0BAD\u0000' }))],
    ['NUL in the channel id', eventCallback(TEAM, nextEventId(), message({ channel: 'C0BAD\u0000' }))],
    ['NUL in the team id', eventCallback('T0BAD\u0000', nextEventId(), message({}))],
    ['NUL in the event id', eventCallback(TEAM, 'Ev0BAD\u0000', message({}))],
    ['a team id of 100,000 characters', eventCallback('T'.repeat(100_000), nextEventId(), message({}))],
    [
      'a reaction on a channel id with NUL',
      eventCallback(TEAM, nextEventId(), {
        type: 'reaction_added',
        user: 'U0ALICE',
        reaction: 'tada',
        item: { type: 'message', channel: 'C\u0000', ts: ts(0, 1) },
      }),
    ],
    [
      'a user id of 65 characters in team_join',
      eventCallback(TEAM, nextEventId(), { type: 'team_join', user: { id: 'U'.repeat(65), name: 'long' } }),
    ],
  ])('acknowledges %s with 200 and stores nothing of it', async (_case, body) => {
    const before = await rowCounts(dataSource);
    const answer = await deliver(body);
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    expect(await rowCounts(dataSource)).toEqual(before);
  });

  it('stores what a row can hold of the rest: counts clamped to the integer range, unusable values unknown, NUL dropped', async () => {
    const deliveries = [
      message({ ts: ts(0, 2), reply_count: 1e12, thread_ts: ts(0, 2), latest_reply: '99999999999999999999.000000' }),
      message({
        ts: ts(0, 3),
        subtype: 'me_message\u0000',
        reactions: [{ name: 'ta\u0000da', count: 1e12, users: ['U0BOB', 'U0\u0000'] }],
      }),
      { type: 'channel_created', channel: { id: 'C0CREATED1', name: 'new\u0000s', created: 1e300, num_members: -5 } },
      { type: 'channel_created', channel: { id: 'C0CREATED2', name: 'n'.repeat(300), created: 1_717_200_000, num_members: 1.5 } },
      {
        type: 'team_join',
        user: {
          id: 'U0ARRAY',
          team_id: TEAM,
          name: 'ar\u0000ray',
          real_name: ['Array', 'Name'],
          is_restricted: 'false',
          is_ultra_restricted: [true],
          tz: { zone: 'UTC' },
        },
      },
      { type: 'team_join', user: { id: 'U0ZONE', team_id: TEAM, tz: 'Europe/Berlin\u0000' } },
      { type: 'channel_rename', channel: { id: 'C0CREATED1', name: 'gen\u0000eral' } },
    ];
    for (const event of deliveries) expect((await deliver(eventCallback(TEAM, nextEventId(), event))).status).toBe(200);

    expect(
      await dataSource.query(
        `SELECT ts, subtype, reply_count, latest_reply_ts, reaction_count, reactions, reactors FROM messages WHERE ts IN ($1, $2) ORDER BY ts`,
        [ts(0, 2), ts(0, 3)],
      ),
    ).toEqual([
      { ts: ts(0, 2), subtype: null, reply_count: INT_MAX, latest_reply_ts: null, reaction_count: 0, reactions: [], reactors: [] },
      {
        ts: ts(0, 3),
        subtype: 'me_message',
        reply_count: 0,
        latest_reply_ts: null,
        reaction_count: INT_MAX,
        reactions: [{ name: 'tada', count: INT_MAX, users: ['U0BOB'] }],
        reactors: ['U0BOB'],
      },
    ]);
    expect(await dataSource.query(`SELECT id, name, created, member_count FROM channels WHERE id LIKE 'C0CREATED%' ORDER BY id`)).toEqual([
      { id: 'C0CREATED1', name: 'general', created: null, member_count: null },
      { id: 'C0CREATED2', name: null, created: new Date('2024-06-01T00:00:00Z'), member_count: null },
    ]);
    expect(
      await dataSource.query(
        `SELECT id, name, real_name, is_restricted, is_ultra_restricted, tz FROM users WHERE id IN ('U0ARRAY', 'U0ZONE') ORDER BY id`,
      ),
    ).toEqual([
      { id: 'U0ARRAY', name: 'array', real_name: null, is_restricted: null, is_ultra_restricted: null, tz: null },
      { id: 'U0ZONE', name: null, real_name: null, is_restricted: null, is_ultra_restricted: null, tz: null },
    ]);
  });

  it("keeps only ids of a Slack id's shape, so the API can query every workspace it stored", async () => {
    const [{ longest }] = await dataSource.query(
      `SELECT max(length(id)) AS longest FROM (SELECT id FROM workspaces UNION ALL SELECT id FROM channels UNION ALL SELECT id FROM users) ids`,
    );
    expect(longest).toBeLessThanOrEqual(64);
    const workspaces: Array<{ id: string }> = await dataSource.query(`SELECT id FROM workspaces`);
    for (const { id } of workspaces) {
      const response = await fetch(`${api.url}/api/v1/metrics/summary?teamId=${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      expect({ id, status: response.status }).toEqual({ id, status: 200 });
    }
  });

  it('counts the skipped deliveries by type and reason', async () => {
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    const skipped = (reason: string, type = 'message') =>
      Number(new RegExp(`slack_metrics_events_skipped_total\\{type="${type}",reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect({
      ts: skipped('no valid ts'),
      ids: skipped('invalid id'),
      reaction: skipped('invalid id', 'reaction_added'),
      user: skipped('invalid id', 'team_join'),
    }).toEqual({
      ts: 2,
      ids: 5,
      reaction: 1,
      user: 1,
    });
  });
});

describe('large but valid reaction counts through aggregation and the API', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: RunningApi;

  beforeAll(async () => {
    database = await createTestDatabase('large_counts');
    dataSource = await migratedDataSource(database);
    api = await startApi({ DATABASE_URL: database.url, SLACK_SIGNING_SECRET: SECRET, API_TOKENS: READ_TOKEN });
  });

  afterAll(async () => {
    await api?.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('two messages of 2,000,000,000 reactions on one channel day, and 1,500,000,000 on two days, aggregate and are served exactly', async () => {
    const events = [
      message({ ts: ts(0, 1), reactions: [{ name: 'tada', count: 2_000_000_000 }] }),
      message({ ts: ts(0, 2), reactions: [{ name: 'tada', count: 2_000_000_000 }] }),
      message({ channel: 'C0OTHER', ts: ts(1, 1), reactions: [{ name: 'eyes', count: 1_500_000_000 }] }),
      message({ channel: 'C0OTHER', ts: ts(2, 1), reactions: [{ name: 'eyes', count: 1_500_000_000 }] }),
    ];
    for (const event of events)
      expect((await deliverSlackEvent(api.url, { body: eventCallback(TEAM, nextEventId(), event), secret: SECRET })).status).toBe(200);

    const aggregate = await runWorker(['aggregate'], { DATABASE_URL: database.url, METRICS_TIMEZONE: 'UTC' });
    expect({ code: aggregate.code, stderr: aggregate.code === 0 ? '' : aggregate.stdout + aggregate.stderr }).toEqual({
      code: 0,
      stderr: '',
    });

    const get = async (path: string) => {
      const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
      return { status: response.status, body: (await response.json()) as { data: Array<{ channelId: string; reactions: number }> } };
    };
    const range = `teamId=${TEAM}&from=2024-06-01&to=2024-06-03`;
    expect(await get(`/api/v1/metrics/summary?${range}`)).toMatchObject({ status: 200, body: { messages: 4, reactions: 7_000_000_000 } });
    const channels = await get(`/api/v1/metrics/channels?${range}&sort=-reactions`);
    expect(channels.status).toBe(200);
    expect(channels.body.data.map((row) => [row.channelId, row.reactions])).toEqual([
      [CHANNEL, 4_000_000_000],
      ['C0OTHER', 3_000_000_000],
    ]);
    const series = await get(`/api/v1/metrics/channels/C0OTHER?from=2024-06-01&to=2024-06-03&granularity=month`);
    expect(series).toMatchObject({ status: 200, body: { data: [{ date: '2024-06-01', reactions: 3_000_000_000 }] } });
  });
});

describe('Slack deliveries and the per-address rate limit', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: RunningApi;
  const LIMIT = 5;

  beforeAll(async () => {
    database = await createTestDatabase('events_rate_limit');
    dataSource = await migratedDataSource(database);
    api = await startApi({
      DATABASE_URL: database.url,
      SLACK_SIGNING_SECRET: SECRET,
      API_TOKENS: READ_TOKEN,
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
    });
  });

  afterAll(async () => {
    await api?.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  const stored = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM messages`))[0].n as number;

  it('stores every signed delivery while other traffic from the same address is limited, in a burst and with its retries', async () => {
    const junk = [];
    for (let request = 0; request < LIMIT * 3; request++) junk.push((await fetch(`${api.url}/api/v1/workspaces`)).status);
    expect(junk.slice(-1)).toEqual([429]);

    const burst = Array.from({ length: 60 }, (_, index) => eventCallback(TEAM, nextEventId(), message({ ts: ts(0, index) })));
    const answers = await Promise.all(burst.map((body) => deliverSlackEvent(api.url, { body, secret: SECRET })));
    expect(answers.map((answer) => answer.status)).toEqual(burst.map(() => 200));
    const retries = await Promise.all(
      burst.slice(0, 20).map((body) => deliverSlackEvent(api.url, { body, secret: SECRET, retryNumber: 1 })),
    );
    expect(retries.map((answer) => answer.status)).toEqual(retries.map(() => 200));
    expect(await stored()).toBe(60);
  });

  it('limits requests refused for their signature on a budget of their own, which never stops a signed one', async () => {
    const body = eventCallback(TEAM, nextEventId(), message({ ts: ts(1) }));
    const refused = [];
    for (let request = 0; request < LIMIT + 2; request++)
      refused.push((await deliverSlackEvent(api.url, { body, secret: 'not-the-secret' })).status);
    expect(refused).toEqual([...Array(LIMIT).fill(401), 429, 429]);
    const limited = await fetch(`${api.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });

    expect((await deliverSlackEvent(api.url, { body, secret: SECRET })).status).toBe(200);
    expect(await stored()).toBe(61);
  });
});
