import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { FakeMessage, FakeSlackData, FakeSlackServer } from '../support/fake-slack-server';
import { runWorker } from '../support/processes';
import { byChannelAndTs, expectedMessageRow, MessageRow, storedMessageRows } from './expected-rows';

const TOKEN = 'xoxb-collector-test-token';
const TEAM = 'T0COLLECT';
/** Small pages, so every method needs several. */
const PAGE_SIZE = 2;

const GENERAL = 'C0GENERAL';
const THREADS = 'C0THREADS';
const FAILING = 'C0FAILING';
const NOT_JOINED = 'C0NOTJOINED';
const PRIVATE = 'G0PRIVATE';
/** The workspace of a Slack Connect user who posts in the private channel. */
const PARTNER = 'T0PARTNER';

/** A ts `minutes` after a fixed start, unique per minute. */
function ts(minutes: number): string {
  return `${1_717_200_000 + minutes * 60}.000100`;
}

function message(minutes: number, fields: Record<string, unknown> = {}): FakeMessage {
  return { type: 'message', ts: ts(minutes), user: 'U0ALICE', text: `message at minute ${minutes}`, user_team: TEAM, ...fields };
}

function workspace(): FakeSlackData {
  const threadReplies = [1, 2, 3].map((n) =>
    message(20 + n, { user: n === 2 ? 'U0BOB' : 'U0CAROL', thread_ts: ts(20), parent_user_id: 'U0ALICE' }),
  );
  const deletedReplies = [message(31, { user: 'U0BOB', thread_ts: ts(30), parent_user_id: 'U0ALICE' })];
  return {
    team: { id: TEAM, name: 'Collector Test', domain: 'collector-test' },
    channels: [
      { id: GENERAL, name: 'general', created: 1_700_000_000, is_private: false, is_archived: false, is_member: true, num_members: 3 },
      { id: THREADS, name: 'threads', created: 1_700_000_100, is_private: false, is_archived: false, is_member: true, num_members: 3 },
      { id: FAILING, name: 'failing', created: 1_700_000_200, is_private: false, is_archived: false, is_member: true, num_members: 2 },
      { id: NOT_JOINED, name: 'old-stuff', created: 1_700_000_300, is_private: false, is_archived: true, is_member: false, num_members: 0 },
      { id: PRIVATE, name: 'private', created: 1_700_000_400, is_private: true, is_archived: false, is_member: true, num_members: 2 },
    ],
    users: [
      {
        id: 'U0ALICE',
        team_id: TEAM,
        name: 'alice',
        real_name: 'Alice',
        deleted: false,
        is_bot: false,
        is_restricted: false,
        tz: 'Europe/Paris',
      },
      { id: 'U0BOB', team_id: TEAM, name: 'bob', real_name: 'Bob', deleted: false, is_bot: false, is_restricted: true, tz: 'Asia/Tokyo' },
      {
        id: 'U0CAROL',
        team_id: TEAM,
        name: 'carol',
        real_name: 'Carol',
        deleted: true,
        is_bot: false,
        is_restricted: true,
        is_ultra_restricted: true,
        tz: 'UTC',
      },
      // Flags and a time zone no Slack user carries: stored as unknown.
      {
        id: 'U0DEPLOYBOT',
        team_id: TEAM,
        name: 'deploybot',
        real_name: 'Deploy Bot',
        deleted: false,
        is_bot: true,
        is_restricted: 'no',
        tz: 'Deploy/Pipeline',
      },
      {
        id: 'U0EVE',
        team_id: PARTNER,
        name: 'eve',
        real_name: 'Eve',
        deleted: false,
        is_bot: false,
        is_restricted: false,
        tz: 'America/Sao_Paulo',
      },
      { id: 'USLACKBOT', team_id: TEAM, name: 'slackbot', real_name: 'Slackbot', deleted: false, is_bot: false },
    ],
    history: {
      [GENERAL]: [
        message(1),
        message(2, { edited: { user: 'U0ALICE', ts: ts(3) }, reactions: [{ name: 'tada', count: 2, users: ['U0BOB', 'U0CAROL'] }] }),
        message(4, { subtype: 'bot_message', bot_id: 'B0CI', user: undefined, username: 'ci' }),
        message(5, { user: 'U0DEPLOYBOT', bot_id: 'B0DEPLOY', files: [{ id: 'F1' }, { id: 'F2' }] }),
        message(6, { subtype: 'channel_join', user: 'U0BOB' }),
      ],
      [THREADS]: [
        message(20, { thread_ts: ts(20), reply_count: 3, latest_reply: ts(23), reply_users: ['U0BOB', 'U0CAROL'] }),
        // A deleted thread parent: Slack keeps a tombstone while replies remain.
        message(30, {
          subtype: 'tombstone',
          user: 'USLACKBOT',
          text: 'This message was deleted.',
          thread_ts: ts(30),
          reply_count: 1,
          latest_reply: ts(31),
        }),
      ],
      [FAILING]: [message(40)],
      [PRIVATE]: [message(45, { user: 'U0EVE', user_team: PARTNER, source_team: PARTNER }), message(50, { user: 'U0BOB' })],
    },
    replies: { [THREADS]: { [ts(20)]: threadReplies, [ts(30)]: deletedReplies } },
  };
}

/** A users row as stored for a user Slack lists with nothing beyond its names: flags and time zone unknown. */
function member(id: string, name: string, realName: string): Record<string, unknown> {
  return {
    id,
    team_id: TEAM,
    name,
    real_name: realName,
    is_bot: false,
    is_deleted: false,
    is_restricted: null,
    is_ultra_restricted: null,
    tz: null,
  };
}

/** What the collector must have stored: every message of the given channels, as the fake Slack shows it now. */
function expectedRows(data: FakeSlackData, channels: string[]): MessageRow[] {
  const rows = new Map<string, MessageRow>();
  for (const channel of channels) {
    const replies = Object.values(data.replies[channel] ?? {}).flat();
    for (const shown of [...(data.history[channel] ?? []), ...replies]) {
      const row = expectedMessageRow(shown as never, {
        teamId: TEAM,
        channelId: channel,
        storeText: false,
        deleted: shown.subtype === 'tombstone',
      });
      rows.set(`${channel} ${shown.ts}`, row);
    }
  }
  return [...rows.values()].sort(byChannelAndTs);
}

describe('worker collect', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let slack: FakeSlackServer;
  let env: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase('collect');
    dataSource = await migratedDataSource(database);
    slack = await FakeSlackServer.start(workspace(), { token: TOKEN, pageSize: PAGE_SIZE });
    env = { DATABASE_URL: database.url, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url };
  });

  afterEach(async () => {
    await slack.close();
    await dataSource.destroy();
    await database.drop();
  });

  async function rows(): Promise<MessageRow[]> {
    return (await storedMessageRows(dataSource)).sort(byChannelAndTs);
  }

  async function syncState(): Promise<Record<string, unknown>[]> {
    return dataSource.query(
      `SELECT channel_id, newest_ts, pending_cursor, pending_newest_ts, last_error,
              last_run_at IS NOT NULL AS ran, last_success_at IS NOT NULL AS succeeded
       FROM channel_sync_state ORDER BY channel_id`,
    );
  }

  it('stores workspace, channels, users and every message exactly, waits out a 429, records a failing channel and exits 1', async () => {
    slack.failChannel(FAILING, 'not_in_channel');
    slack.rateLimitNext('conversations.history');
    const started = Date.now();
    const run = await runWorker(['collect'], env);
    const elapsedMs = Date.now() - started;

    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(`${FAILING} (failing): not_in_channel`);
    expect(await rows()).toEqual(expectedRows(slack.data, [GENERAL, THREADS, PRIVATE]));
    expect(await dataSource.query(`SELECT id, name, domain FROM workspaces`)).toEqual([
      { id: TEAM, name: 'Collector Test', domain: 'collector-test' },
    ]);
    expect(await dataSource.query(`SELECT id, name, kind, is_private, is_archived, member_count FROM channels ORDER BY id`)).toEqual([
      { id: FAILING, name: 'failing', kind: 'public', is_private: false, is_archived: false, member_count: 2 },
      { id: GENERAL, name: 'general', kind: 'public', is_private: false, is_archived: false, member_count: 3 },
      { id: NOT_JOINED, name: 'old-stuff', kind: 'public', is_private: false, is_archived: true, member_count: 0 },
      { id: THREADS, name: 'threads', kind: 'public', is_private: false, is_archived: false, member_count: 3 },
      { id: PRIVATE, name: 'private', kind: 'private', is_private: true, is_archived: false, member_count: 2 },
    ]);
    const usersQuery = `SELECT id, team_id, name, real_name, is_bot, is_deleted, is_restricted, is_ultra_restricted, tz, xmin::text AS row_version
      FROM users ORDER BY id`;
    const users = await dataSource.query(usersQuery);
    expect(users.map(({ row_version: _version, ...user }: Record<string, unknown>) => user)).toEqual([
      { ...member('U0ALICE', 'alice', 'Alice'), is_restricted: false, tz: 'Europe/Paris' },
      { ...member('U0BOB', 'bob', 'Bob'), is_restricted: true, tz: 'Asia/Tokyo' },
      { ...member('U0CAROL', 'carol', 'Carol'), is_deleted: true, is_restricted: true, is_ultra_restricted: true, tz: 'UTC' },
      { ...member('U0DEPLOYBOT', 'deploybot', 'Deploy Bot'), is_bot: true },
      { ...member('U0EVE', 'eve', 'Eve'), team_id: PARTNER, is_restricted: false, tz: 'America/Sao_Paulo' },
      member('USLACKBOT', 'slackbot', 'Slackbot'),
    ]);
    expect((await rows()).filter((row) => row.author_team_id === PARTNER).map((row) => row.user_id)).toEqual(['U0EVE']);
    expect(await syncState()).toEqual([
      {
        channel_id: FAILING,
        newest_ts: null,
        pending_cursor: null,
        pending_newest_ts: null,
        last_error: 'not_in_channel',
        ran: true,
        succeeded: false,
      },
      {
        channel_id: GENERAL,
        newest_ts: ts(6),
        pending_cursor: null,
        pending_newest_ts: null,
        last_error: null,
        ran: true,
        succeeded: true,
      },
      {
        channel_id: THREADS,
        newest_ts: ts(30),
        pending_cursor: null,
        pending_newest_ts: null,
        last_error: null,
        ran: true,
        succeeded: true,
      },
      {
        channel_id: PRIVATE,
        newest_ts: ts(50),
        pending_cursor: null,
        pending_newest_ts: null,
        last_error: null,
        ran: true,
        succeeded: true,
      },
    ]);

    // Several pages per method, the 429 answered once and waited out (Retry-After: 1), never the unjoined channel.
    expect(slack.calls('conversations.list').map((call) => call.status)).toEqual([200, 200, 200]);
    expect(slack.calls('users.list')).toHaveLength(3);
    const history = slack.calls('conversations.history');
    expect(history[0].status).toBe(429);
    expect(history[1].params).toEqual(history[0].params);
    expect(history.filter((call) => call.params.channel === GENERAL && call.status === 200)).toHaveLength(3);
    expect(history.some((call) => call.params.channel === NOT_JOINED)).toBe(false);
    expect(elapsedMs).toBeGreaterThanOrEqual(1000);
    // Thread 20 has three replies: two pages of two.
    expect(
      slack.calls('conversations.replies').map((call) => [call.params.ts, call.params.oldest, call.params.cursor !== undefined]),
    ).toEqual([
      [ts(30), undefined, false],
      [ts(20), undefined, false],
      [ts(20), undefined, true],
    ]);

    // A second run lists the same users again and rewrites none of them.
    await runWorker(['collect'], env);
    expect(await dataSource.query(usersQuery)).toEqual(users);
  });

  it('leaves out channels, users and messages whose ids are not Slack ids, and stores the rest', async () => {
    slack.data.channels.push(
      { id: `C${'X'.repeat(100)}`, name: 'long-id', is_member: true },
      { id: 'C0BAD\u0000', name: 'nul', is_member: true },
    );
    slack.data.users.push({ id: 'U0BAD\u0000', team_id: TEAM, name: 'nul' }, { id: 'U0TEAMNUL', team_id: 'T\u0000', name: 'teamnul' });
    slack.data.history[GENERAL].push(message(9, { user: 'U0\u0000' }), message(10, { ts: '253402300800.000100' }));
    const run = await runWorker(['collect'], env);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toContain("channels left out, their id not of a Slack id's shape: 1");
    expect(run.stdout + run.stderr).toContain("users left out, their id not of a Slack id's shape: 1");
    expect(await rows()).toEqual(expectedRows(workspace(), [GENERAL, THREADS, FAILING, PRIVATE]));
    const ids: Array<{ id: string; team_id: string }> = await dataSource.query(
      `SELECT id, team_id FROM channels UNION ALL SELECT id, team_id FROM users`,
    );
    expect(ids.filter(({ id, team_id }) => !/^[A-Za-z0-9_-]{1,64}$/.test(id) || team_id !== (id === 'U0EVE' ? PARTNER : TEAM))).toEqual([]);
    expect(ids.map(({ id }) => id)).toContain('U0TEAMNUL');
  });

  it('asks a second run only for what is new: newer history, and the replies of threads that grew', async () => {
    expect((await runWorker(['collect'], env)).code).toBe(0);
    slack.requests.length = 0;

    // New messages; a new thread; and thread 20 grows by a reply broadcast to the channel and one that is not.
    slack.data.history[GENERAL].push(message(7), message(8, { user: 'U0BOB' }));
    slack.data.history[THREADS].push(message(32, { thread_ts: ts(32), reply_count: 1, latest_reply: ts(35) }));
    slack.data.replies[THREADS][ts(32)] = [message(35, { user: 'U0BOB', thread_ts: ts(32) })];
    const broadcast = message(33, { subtype: 'thread_broadcast', thread_ts: ts(20), user: 'U0BOB' });
    slack.data.history[THREADS].push(broadcast);
    slack.data.replies[THREADS][ts(20)].push(broadcast, message(34, { user: 'U0CAROL', thread_ts: ts(20) }));
    Object.assign(slack.data.history[THREADS][0], { reply_count: 5, latest_reply: ts(34) });

    const second = await runWorker(['collect'], env);
    expect(second.code).toBe(0);
    expect(slack.calls('conversations.history').map((call) => [call.params.channel, call.params.oldest, call.params.cursor])).toEqual([
      [GENERAL, ts(6), undefined],
      [THREADS, ts(30), undefined],
      [FAILING, ts(40), undefined],
      [PRIVATE, ts(50), undefined],
    ]);
    expect(slack.calls('conversations.replies').map((call) => [call.params.ts, call.params.oldest])).toEqual([
      [ts(20), ts(23)],
      [ts(32), undefined],
    ]);
    expect(await rows()).toEqual(expectedRows(slack.data, [GENERAL, THREADS, FAILING, PRIVATE]));
    const [parent] = await dataSource.query(`SELECT reply_count, latest_reply_ts FROM messages WHERE channel_id = $1 AND ts = $2`, [
      THREADS,
      ts(20),
    ]);
    expect(parent).toEqual({ reply_count: 5, latest_reply_ts: ts(34) });
  });

  it('commits page by page: a run that stops mid-walk is resumed from its cursor, nothing lost or asked twice', async () => {
    slack.failNextCall('conversations.history', (params) => params.channel === GENERAL && params.cursor !== undefined, 'internal_error');
    const first = await runWorker(['collect'], env);
    expect(first.code).toBe(1);
    const [interrupted] = (await syncState()).filter((state) => state.channel_id === GENERAL);
    expect(interrupted).toEqual({
      channel_id: GENERAL,
      newest_ts: null,
      pending_cursor: expect.any(String),
      pending_newest_ts: ts(6),
      last_error: 'internal_error',
      ran: true,
      succeeded: false,
    });
    // The first page (the two newest messages) is stored.
    expect((await rows()).filter((row) => row.channel_id === GENERAL).map((row) => row.ts)).toEqual([ts(5), ts(6)]);

    slack.requests.length = 0;
    const second = await runWorker(['collect'], env);
    expect(second.code).toBe(0);
    const general = slack.calls('conversations.history').filter((call) => call.params.channel === GENERAL);
    expect(general.map((call) => [call.params.oldest, call.params.cursor])).toEqual([
      [undefined, interrupted.pending_cursor],
      [undefined, expect.any(String)],
    ]);
    expect(await rows()).toEqual(expectedRows(slack.data, [GENERAL, THREADS, FAILING, PRIVATE]));
    expect((await syncState()).find((state) => state.channel_id === GENERAL)).toEqual({
      channel_id: GENERAL,
      newest_ts: ts(6),
      pending_cursor: null,
      pending_newest_ts: null,
      last_error: null,
      ran: true,
      succeeded: true,
    });
  });
});
