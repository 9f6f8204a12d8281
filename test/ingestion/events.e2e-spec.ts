import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { RunningApi, startApi, waitFor } from '../support/processes';
import { Delivery, deliverSlackEvent, eventCallback, signSlackRequest as sign } from '../support/slack-events';
import { expectedMessageRow, isoOfTs, storedMessageRows } from './expected-rows';

const SECRET = 'events-test-signing-secret';
const TEAM = 'T0EVENTS';
const CHANNEL = 'C0EVENTS';

function deliver(api: RunningApi, delivery: Omit<Delivery, 'secret'> & { secret?: string }) {
  return deliverSlackEvent(api.url, { secret: SECRET, ...delivery });
}

let eventCounter = 0;
function callback(event: Record<string, unknown>, eventId = `Ev${String(++eventCounter).padStart(8, '0')}`): Record<string, unknown> {
  return eventCallback(TEAM, eventId, event);
}

/** A `message_changed` event at `at` carrying the edited `message` as Slack shows it now. */
function messageChanged(at: string, message: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return callback({
    type: 'message',
    subtype: 'message_changed',
    hidden: true,
    channel: CHANNEL,
    channel_type: 'channel',
    ts: at,
    message,
    ...extra,
  });
}

function ts(minutes: number): string {
  return `${1_717_200_000 + minutes * 60}.000200`;
}

describe('POST /slack/events', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: RunningApi;

  beforeAll(async () => {
    database = await createTestDatabase('events');
    dataSource = await migratedDataSource(database);
    api = await startApi({ DATABASE_URL: database.url, SLACK_SIGNING_SECRET: SECRET });
  });

  afterAll(async () => {
    await api?.stop();
    await dataSource.destroy();
    await database.drop();
  });

  async function counts(): Promise<Record<string, number>> {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*)::int FROM messages) AS messages, (SELECT count(*)::int FROM processed_events) AS events,
              (SELECT count(*)::int FROM channels) AS channels, (SELECT count(*)::int FROM users) AS users`,
    );
    return row;
  }

  async function message(ts: string) {
    const rows = await storedMessageRows(dataSource);
    return rows.find((row) => row.ts === ts);
  }

  it('answers url_verification with its challenge', async () => {
    const answer = await deliver(api, {
      body: { token: 'unused', challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' },
    });
    expect(answer).toMatchObject({ status: 200, body: { challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } });
  });

  it('refuses forged, unsigned and stale requests with 401 and stores nothing', async () => {
    const event = callback({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: 'U0MALLORY', text: 'forged', ts: ts(0) });
    const now = Math.floor(Date.now() / 1000);
    const raw = JSON.stringify(event);
    const refused = [
      await deliver(api, { body: event, secret: 'not-the-signing-secret' }),
      await deliver(api, { body: event, signature: 'v0=' + '0'.repeat(64) }),
      await deliver(api, {
        body: event,
        signature: sign(SECRET, now, raw).replace(/.$/, (last) => (last === '0' ? '1' : '0')),
        timestamp: now,
      }),
      await deliver(api, { body: event, timestamp: now - 310 }),
      await deliver(api, { body: event, timestamp: now + 310 }),
    ];
    const unsigned = await fetch(`${api.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect([...refused.map((answer) => answer.status), unsigned.status]).toEqual([401, 401, 401, 401, 401, 401]);
    expect(refused[0].body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(await counts()).toEqual({ messages: 0, events: 0, channels: 0, users: 0 });
    // Still within Slack's five minutes: accepted.
    expect((await deliver(api, { body: callback({ type: 'app_mention', channel: CHANNEL }), timestamp: now - 290 })).status).toBe(200);
  });

  it('stores a message from a workspace, channel and user it has never seen, creating them, without text', async () => {
    const event = {
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: 'U0ALICE',
      text: 'hello',
      ts: ts(1),
      team: TEAM,
      client_msg_id: 'x',
    };
    const answer = await deliver(api, { body: callback(event) });
    expect(answer.status).toBe(200);
    expect(await message(ts(1))).toEqual(expectedMessageRow(event, { teamId: TEAM, channelId: CHANNEL, storeText: false }));
    expect(await dataSource.query(`SELECT id FROM workspaces`)).toEqual([{ id: TEAM }]);
    expect(await dataSource.query(`SELECT id, team_id, kind, is_private FROM channels`)).toEqual([
      { id: CHANNEL, team_id: TEAM, kind: 'public', is_private: false },
    ]);
    expect(await dataSource.query(`SELECT id, team_id, is_bot FROM users`)).toEqual([{ id: 'U0ALICE', team_id: TEAM, is_bot: false }]);
  });

  it('counts a thread reply on its parent once, however often Slack retries the delivery', async () => {
    const reply = callback({
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: 'U0BOB',
      text: 're',
      ts: ts(2),
      thread_ts: ts(1),
      parent_user_id: 'U0ALICE',
    });
    expect((await deliver(api, { body: reply })).status).toBe(200);
    const after = await counts();
    const parentBefore = await dataSource.query(`SELECT reply_count, latest_reply_ts, thread_ts, updated_at FROM messages WHERE ts = $1`, [
      ts(1),
    ]);
    expect(parentBefore[0]).toMatchObject({ reply_count: 1, latest_reply_ts: ts(2), thread_ts: ts(1) });

    for (const retryNumber of [1, 2, 3]) expect((await deliver(api, { body: reply, retryNumber })).status).toBe(200);
    expect(await counts()).toEqual(after);
    expect(
      await dataSource.query(`SELECT reply_count, latest_reply_ts, thread_ts, updated_at FROM messages WHERE ts = $1`, [ts(1)]),
    ).toEqual(parentBefore);
    expect(await message(ts(2))).toMatchObject({ thread_ts: ts(1), user_id: 'U0BOB', deleted: false });
  });

  it('applies an edit, keeping the reply count the edit does not mention', async () => {
    const edit = messageChanged(
      ts(3),
      { type: 'message', user: 'U0ALICE', text: 'hello, edited', ts: ts(1), edited: { user: 'U0ALICE', ts: ts(3) } },
      { previous_message: { type: 'message', user: 'U0ALICE', text: 'hello', ts: ts(1) } },
    );
    expect((await deliver(api, { body: edit })).status).toBe(200);
    expect(await message(ts(1))).toMatchObject({
      edited_at: isoOfTs(ts(3)),
      reply_count: 1,
      latest_reply_ts: ts(2),
      thread_ts: ts(1),
      text: null,
    });
  });

  it('adds and removes reactions by user, keeping the reactors that are left', async () => {
    const reaction = (type: string, user: string, name: string) =>
      callback({
        type,
        user,
        reaction: name,
        item_user: 'U0ALICE',
        item: { type: 'message', channel: CHANNEL, ts: ts(1) },
        event_ts: ts(4),
      });
    for (const event of [
      reaction('reaction_added', 'U0BOB', 'tada'),
      reaction('reaction_added', 'U0CAROL', 'tada'),
      reaction('reaction_added', 'U0CAROL', 'eyes'),
      reaction('reaction_removed', 'U0BOB', 'tada'),
    ]) {
      expect((await deliver(api, { body: event })).status).toBe(200);
    }
    expect(await message(ts(1))).toMatchObject({
      reaction_count: 2,
      reactions: [
        { name: 'tada', count: 1, users: ['U0CAROL'] },
        { name: 'eyes', count: 1, users: ['U0CAROL'] },
      ],
      reactors: ['U0CAROL'],
    });
    expect(await dataSource.query(`SELECT id FROM users ORDER BY id`)).toEqual([{ id: 'U0ALICE' }, { id: 'U0BOB' }, { id: 'U0CAROL' }]);
  });

  it('keeps a deleted reply as a deleted row and takes it off its parent', async () => {
    const deletion = callback({
      type: 'message',
      subtype: 'message_deleted',
      hidden: true,
      channel: CHANNEL,
      channel_type: 'channel',
      ts: ts(5),
      deleted_ts: ts(2),
      previous_message: { type: 'message', user: 'U0BOB', text: 're', ts: ts(2), thread_ts: ts(1) },
    });
    expect((await deliver(api, { body: deletion })).status).toBe(200);
    expect(await message(ts(2))).toMatchObject({ deleted: true, user_id: 'U0BOB' });
    expect(await message(ts(1))).toMatchObject({ reply_count: 0, deleted: false });
    const [deletedAt] = await dataSource.query(
      `SELECT to_char(deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM messages WHERE ts = $1`,
      [ts(2)],
    );
    expect(deletedAt.at).toBe(isoOfTs(ts(5)));
  });

  it('follows channels: created, renamed, archived, and members joining', async () => {
    const channel = 'C0NEWCHAN';
    for (const event of [
      { type: 'channel_created', channel: { id: channel, name: 'launch', created: 1_717_200_000, creator: 'U0ALICE' } },
      { type: 'channel_rename', channel: { id: channel, name: 'launch-2024', created: 1_717_200_000 } },
      { type: 'channel_archive', channel, user: 'U0ALICE' },
    ]) {
      expect((await deliver(api, { body: callback(event) })).status).toBe(200);
    }
    await dataSource.query(`UPDATE channels SET member_count = 3 WHERE id = $1`, [channel]);
    const join = { type: 'member_joined_channel', user: 'U0DAVE', channel, channel_type: 'C', team: TEAM };
    expect((await deliver(api, { body: callback(join) })).status).toBe(200);
    expect(
      await dataSource.query(
        `SELECT id, name, kind, is_archived, member_count, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS created FROM channels WHERE id = $1`,
        [channel],
      ),
    ).toEqual([{ id: channel, name: 'launch-2024', kind: 'public', is_archived: true, member_count: 4, created: '2024-06-01' }]);
    expect(await dataSource.query(`SELECT id FROM users WHERE id = 'U0DAVE'`)).toEqual([{ id: 'U0DAVE' }]);
  });

  it('stores users from team_join and user_change, moving updated_at only when is_bot or is_deleted changes', async () => {
    const user = {
      id: 'U0ERIN',
      team_id: TEAM,
      name: 'erin',
      real_name: 'Erin',
      deleted: false,
      is_bot: false,
      is_restricted: false,
      is_ultra_restricted: false,
      tz: 'Europe/Berlin',
      profile: { real_name: 'Erin' },
    };
    expect((await deliver(api, { body: callback({ type: 'team_join', user }) })).status).toBe(200);
    const stored = async () =>
      (
        await dataSource.query(
          `SELECT name, real_name, is_bot, is_deleted, is_restricted, is_ultra_restricted, tz, updated_at, xmin::text AS row_version
           FROM users WHERE id = 'U0ERIN'`,
        )
      )[0];
    const joined = await stored();
    expect(joined).toMatchObject({
      name: 'erin',
      real_name: 'Erin',
      is_bot: false,
      is_deleted: false,
      is_restricted: false,
      is_ultra_restricted: false,
      tz: 'Europe/Berlin',
    });
    // The same user again, under a new event id: nothing to write.
    expect((await deliver(api, { body: callback({ type: 'user_change', user }) })).status).toBe(200);
    expect(await stored()).toEqual(joined);

    const asGuest = { ...user, is_restricted: true, is_ultra_restricted: true, tz: 'America/Los_Angeles' };
    expect((await deliver(api, { body: callback({ type: 'user_change', user: asGuest }) })).status).toBe(200);
    expect(await stored()).toMatchObject({ is_restricted: true, is_ultra_restricted: true, tz: 'America/Los_Angeles' });
    // A time zone ICU does not know is unknown; the rest of the change is stored.
    expect((await deliver(api, { body: callback({ type: 'user_change', user: { ...asGuest, tz: 'Pacific/Atlantis' } }) })).status).toBe(
      200,
    );
    expect(await stored()).toMatchObject({ is_restricted: true, tz: null });
    expect((await deliver(api, { body: callback({ type: 'user_change', user }) })).status).toBe(200);

    expect((await deliver(api, { body: callback({ type: 'user_change', user: { ...user, real_name: 'Erin E.' } }) })).status).toBe(200);
    const renamed = await stored();
    expect(renamed).toMatchObject({ real_name: 'Erin E.' });
    expect(renamed.updated_at).toEqual(joined.updated_at);

    expect((await deliver(api, { body: callback({ type: 'user_change', user: { ...user, deleted: true } }) })).status).toBe(200);
    const deactivated = await stored();
    expect(deactivated.is_deleted).toBe(true);
    expect(deactivated.updated_at.getTime()).toBeGreaterThan(joined.updated_at.getTime());
  });

  it("keeps a Slack Connect author's team on the message, through an edit that leaves it out and a repeated delivery", async () => {
    const partner = 'T0PARTNER';
    const event = {
      type: 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: 'U0FRANK',
      text: 'hello from the partner',
      ts: ts(40),
      team: partner,
      user_team: partner,
      source_team: partner,
    };
    const delivery = callback(event);
    expect((await deliver(api, { body: delivery })).status).toBe(200);
    expect(await message(ts(40))).toEqual(expectedMessageRow(event, { teamId: TEAM, channelId: CHANNEL, storeText: false }));
    expect(await message(ts(40))).toMatchObject({ team_id: TEAM, author_team_id: partner });
    // First seen as this message's author: a user of the partner workspace.
    expect(await dataSource.query(`SELECT team_id FROM users WHERE id = 'U0FRANK'`)).toEqual([{ team_id: partner }]);

    const edit = messageChanged(ts(41), {
      type: 'message',
      user: 'U0FRANK',
      text: 'hello, edited',
      ts: ts(40),
      edited: { user: 'U0FRANK', ts: ts(41) },
    });
    expect((await deliver(api, { body: edit })).status).toBe(200);
    expect(await message(ts(40))).toMatchObject({ edited_at: isoOfTs(ts(41)), author_team_id: partner });

    const rowVersion = async () =>
      dataSource.query(`SELECT author_team_id, xmin::text AS row_version FROM messages WHERE channel_id = $1 AND ts = $2`, [
        CHANNEL,
        ts(40),
      ]);
    const before = await rowVersion();
    // Slack's retry of the same delivery, and the same message under another event id: the row is not rewritten.
    expect((await deliver(api, { body: delivery, retryNumber: 1 })).status).toBe(200);
    expect((await deliver(api, { body: callback(event) })).status).toBe(200);
    expect(await rowVersion()).toEqual(before);
  });

  it('acknowledges event types it does not store, and refuses a body that is no Slack delivery', async () => {
    const before = await counts();
    expect((await deliver(api, { body: callback({ type: 'emoji_changed', subtype: 'add', name: 'party' }) })).status).toBe(200);
    expect((await deliver(api, { body: { type: 'something_else' } })).status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('answers 500 when an event cannot be stored, so Slack retries, and logs the failure with the request id', async () => {
    await dataSource.query('ALTER TABLE processed_events RENAME TO processed_events_away');
    let answer: Awaited<ReturnType<typeof deliver>>;
    try {
      answer = await deliver(api, {
        body: callback({ type: 'message', channel: CHANNEL, user: 'U0FAIL', text: 'x', ts: ts(90) }),
        requestId: 'events-failure-1',
      });
    } finally {
      await dataSource.query('ALTER TABLE processed_events_away RENAME TO processed_events');
    }
    expect(answer).toMatchObject({ status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error' } });
    const linesOf = () =>
      api
        .output()
        .split('\n')
        .filter((line) => line.includes('events-failure-1'))
        .map((line) => JSON.parse(line) as { level: string; msg: string; req: { id: string }; err?: { message: string } });
    const lines = await waitFor(async () => (linesOf().length >= 2 ? linesOf() : undefined), 5000);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'error',
          msg: 'unexpected error',
          req: { id: 'events-failure-1' },
          err: expect.objectContaining({ message: expect.stringContaining('processed_events') }),
        }),
        expect.objectContaining({ level: 'error', msg: 'request completed', req: expect.objectContaining({ id: 'events-failure-1' }) }),
      ]),
    );
  });
});

describe('POST /slack/events, configured otherwise', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('events_config');
    dataSource = await migratedDataSource(database);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('answers 503 without a signing secret, whatever the request carries', async () => {
    const api = await startApi({ DATABASE_URL: database.url });
    try {
      const answer = await deliver(api, { body: callback({ type: 'message', channel: CHANNEL, user: 'U0ALICE', ts: ts(9) }) });
      expect(answer.status).toBe(503);
      expect(JSON.stringify(answer.body)).toContain('SLACK_SIGNING_SECRET');
    } finally {
      await api.stop();
    }
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM messages`)).toEqual([{ n: 0 }]);
  });

  it('keeps message text when STORE_MESSAGE_TEXT=true', async () => {
    const api = await startApi({ DATABASE_URL: database.url, SLACK_SIGNING_SECRET: SECRET, STORE_MESSAGE_TEXT: 'true' });
    try {
      const event = { type: 'message', channel: CHANNEL, channel_type: 'group', user: 'U0ALICE', text: 'kept on purpose', ts: ts(10) };
      expect((await deliver(api, { body: callback(event) })).status).toBe(200);
      expect(await storedMessageRows(dataSource)).toEqual([
        expectedMessageRow(event, { teamId: TEAM, channelId: CHANNEL, storeText: true }),
      ]);
      expect(await dataSource.query(`SELECT kind, is_private FROM channels`)).toEqual([{ kind: 'private', is_private: true }]);
    } finally {
      await api.stop();
    }
  });
});
