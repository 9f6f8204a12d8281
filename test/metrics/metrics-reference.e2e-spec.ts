import { ROLLUP_TABLES } from '@app/metrics';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { ApiHarness, startApiHarness } from './api-harness';
import {
  FixtureMessage,
  GHOST,
  QUIET_DAY,
  QuietDay,
  TEAM,
  TIMEZONE,
  VISITOR,
  generatedDays,
  insertMessages,
  insertWorkspace,
  quietDay,
  reactionsOf,
  tsAt,
} from './fixture';
import { Granularity, Reference, sortLikeApi } from './reference';

const GRANULARITIES: Granularity[] = ['day', 'week', 'month'];
/** Everything the fixture holds, its late import included. */
const ALL = { from: '2025-02-01', to: '2025-04-20' };
const RANGES = [
  ALL,
  { from: QUIET_DAY, to: QUIET_DAY },
  // An ISO week and a calendar month: distinct counts over them are not sums of days.
  { from: '2025-03-10', to: '2025-03-16' },
  { from: '2025-03-01', to: '2025-03-31' },
  { from: '2025-03-27', to: '2025-04-03' },
];
const CHANNEL_IDS = ['C1', 'C2', 'C3'];
const USER_IDS = ['UALICE', 'UBOB', 'UCAROL', 'UDAVE', 'UERIN', GHOST, 'UGUEST', 'UPARTNER', VISITOR];

/**
 * Members who come and go, so that cohorts shrink and members churn and return: the generated
 * days have everyone active every week. Each active on the listed days (noon UTC: the same day in
 * Tokyo), posting or, with a `+`, only reacting to a message of Alice's.
 */
const COMINGS_AND_GOINGS: Record<string, string[]> = {
  UONCE: ['2025-02-05'],
  URETURNS: ['2025-02-04', '2025-03-19', '+2025-04-08'],
  ULEAVES: ['2025-03-03', '2025-03-11'],
  ULATE: ['2025-04-02', '+2025-04-15'],
};

function comingsAndGoings(): FixtureMessage[] {
  return Object.entries(COMINGS_AND_GOINGS).flatMap(([userId, days]) =>
    days.map((listed): FixtureMessage => {
      const reacting = listed.startsWith('+');
      const day = listed.replace('+', '');
      return {
        channelId: 'C2',
        teamId: TEAM,
        ts: tsAt(`${day}T12:00:00Z`),
        userId: reacting ? 'UALICE' : userId,
        reactions: reacting ? reactionsOf(['wave', [userId]]) : undefined,
      };
    }),
  );
}

/** Percentiles come back as doubles; compare them to the microsecond. */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, item) => (typeof item === 'number' ? Math.round(item * 1e6) / 1e6 : item));
}

describe('metrics API against an independent reference computation', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: ApiHarness;
  let quiet: QuietDay;
  let generated: FixtureMessage[];

  async function expectApiMatchesReference(): Promise<void> {
    const reference = await Reference.load(dataSource, TIMEZONE);
    const get = async (path: string) => {
      const response = await api.get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      return response.json();
    };
    /** Every page of /metrics/users/channels, following nextCursor, concatenated. */
    const everyMemberChannelRow = async (query: string) => {
      const rows: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: unknown[]; nextCursor: string | null } = await get(
          `/api/v1/metrics/users/channels?${query}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        rows.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      return rows;
    };
    for (const { from, to } of RANGES) {
      const range = `teamId=${TEAM}&from=${from}&to=${to}`;
      expect(rounded(await get(`/api/v1/metrics/summary?${range}`))).toEqual(
        rounded({ teamId: TEAM, from, to, ...reference.summary(TEAM, from, to) }),
      );
      expect((await get(`/api/v1/metrics/active-members?${range}`)).data).toEqual(reference.activeMembers(TEAM, from, to));
      for (const sort of ['-messages', 'activePosters', '-firstReplyP50Seconds', 'firstReplyP90Seconds']) {
        const expected = sortLikeApi(reference.channelMetrics(TEAM, from, to), sort, 'channelId');
        expect(rounded((await get(`/api/v1/metrics/channels?${range}&sort=${sort}`)).data)).toEqual(rounded(expected));
      }
      for (const sort of ['-messages', 'reactionsAdded', '-channelsActive', '-daysActive']) {
        const expected = sortLikeApi(reference.userMetrics(TEAM, from, to), sort, 'userId');
        expect((await get(`/api/v1/metrics/users?${range}&sort=${sort}`)).data).toEqual(expected);
      }
      expect((await get(`/api/v1/metrics/users?${range}&sort=-messages&limit=2`)).data).toHaveLength(
        Math.min(2, reference.userMetrics(TEAM, from, to).length),
      );
      expect((await get(`/api/v1/metrics/heatmap?${range}`)).data).toEqual(reference.heatmap(TEAM, from, to));
      for (const granularity of ['week', 'month'] as const) {
        expect((await get(`/api/v1/metrics/retention?${range}&granularity=${granularity}`)).data).toEqual(
          reference.retention(TEAM, from, to, granularity),
        );
      }
      for (const granularity of GRANULARITIES) {
        expect((await get(`/api/v1/metrics/members-flow?${range}&granularity=${granularity}`)).data).toEqual(
          reference.membersFlow(TEAM, from, to, granularity),
        );
      }
      const memberChannels = reference.memberChannels(TEAM, from, to);
      expect(memberChannels.length).toBeGreaterThan(0);
      expect(await everyMemberChannelRow(`${range}&limit=3`)).toEqual(memberChannels);
      expect(await everyMemberChannelRow(`${range}&userId=UALICE&limit=1`)).toEqual(
        memberChannels.filter((row) => row.userId === 'UALICE'),
      );
      expect(await everyMemberChannelRow(`${range}&channelId=C2`)).toEqual(memberChannels.filter((row) => row.channelId === 'C2'));
      expect(rounded((await get(`/api/v1/metrics/time-zones?${range}`)).data)).toEqual(rounded(reference.timeZones(TEAM, from, to)));
      expect(rounded((await get(`/api/v1/metrics/audience?${range}`)).data)).toEqual(rounded(reference.audience(TEAM, from, to)));
    }
    for (const granularity of GRANULARITIES) {
      const query = `from=${ALL.from}&to=${ALL.to}&granularity=${granularity}`;
      expect((await get(`/api/v1/metrics/series?teamId=${TEAM}&${query}`)).data).toEqual(
        reference.workspaceSeries(TEAM, ALL.from, ALL.to, granularity),
      );
      for (const channelId of CHANNEL_IDS) {
        // Without a teamId, the channel's own workspace.
        expect(rounded((await get(`/api/v1/metrics/channels/${channelId}?${query}`)).data)).toEqual(
          rounded(reference.channelSeries(TEAM, channelId, ALL.from, ALL.to, granularity)),
        );
      }
      for (const userId of USER_IDS) {
        expect((await get(`/api/v1/metrics/users/${userId}?teamId=${TEAM}&${query}`)).data).toEqual(
          reference.userSeries(TEAM, userId, ALL.from, ALL.to, granularity),
        );
      }
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase('metrics_reference');
    dataSource = await migratedDataSource(database);
    await insertWorkspace(dataSource);
    quiet = quietDay();
    generated = generatedDays();
    await insertMessages(dataSource, [...quiet.messages, ...generated, ...comingsAndGoings()]);
    api = await startApiHarness(database.url, TIMEZONE);
    const first = await api.aggregation.run({ trigger: 'test' });
    expect(first).toMatchObject({ status: 'succeeded', run: { mode: 'full' } });
  });

  afterAll(async () => {
    await api?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('answers every endpoint and granularity as the reference does', async () => {
    await expectApiMatchesReference();
  });

  it('applies the definitions to the hand-made quiet day', async () => {
    const summary = (await api.get(`/api/v1/metrics/summary?teamId=${TEAM}&from=${QUIET_DAY}&to=${QUIET_DAY}`)).json();
    // 23:30 UTC on the 19th is the 20th in Tokyo; system subtypes and deleted messages are not messages.
    expect(summary).toMatchObject({ teamId: TEAM, messages: 14, humanMessages: 9, threadReplies: 4, threadsStarted: 2, reactions: 4 });
    // Alice, Bob, the unknown author, and Carol and Dave by reacting; never the bots, Slackbot or Carol's channel_join alone.
    expect(summary.activeMembers).toBe(5);
    const users = (await api.get(`/api/v1/metrics/users?teamId=${TEAM}&from=${QUIET_DAY}&to=${QUIET_DAY}`)).json().data;
    expect(users.map((user: { userId: string }) => user.userId).sort()).toEqual(['UALICE', 'UBOB', 'UCAROL', 'UDAVE', GHOST].sort());
    expect(users.find((user: { userId: string }) => user.userId === 'UCAROL')).toMatchObject({
      messages: 0,
      reactionsAdded: 2,
      daysActive: 1,
    });
    // Dave has no valid zone and the unknown author no profile: both unknown, listed after Tokyo's equal count.
    expect((await api.get(`/api/v1/metrics/time-zones?teamId=${TEAM}&from=${QUIET_DAY}&to=${QUIET_DAY}`)).json().data).toEqual([
      { timezone: 'Asia/Tokyo', members: 2, share: 0.4 },
      { timezone: null, members: 2, share: 0.4 },
      { timezone: 'Europe/Berlin', members: 1, share: 0.2 },
    ]);
    const general = (await api.get(`/api/v1/metrics/channels/C1?from=${QUIET_DAY}&to=${QUIET_DAY}`)).json().data[0];
    // The first reply by another human came 25 hours later, on the 21st; the author's own replies and the bot's do not count.
    expect(general.threadsStarted).toBe(2);
    expect(general.firstReplyP50Seconds).toBeCloseTo(90000, 3);
    expect(general.firstReplyP90Seconds).toBeCloseTo(90000, 3);
  });

  it('tells members, guests and external people apart, whichever source says who is external', async () => {
    const audience = (await api.get(`/api/v1/metrics/audience?teamId=${TEAM}&from=${ALL.from}&to=${ALL.to}`)).json().data;
    expect(audience.map((row: { audience: string }) => row.audience)).toEqual(['member', 'guest', 'external']);
    for (const row of audience) {
      expect(row).toMatchObject({ messages: expect.any(Number), threadsStarted: expect.any(Number) });
      expect({
        audience: row.audience,
        quiet: row.messages === 0 || row.threadsStarted === 0 || row.firstReplyP50Seconds === null,
      }).toEqual({
        audience: row.audience,
        quiet: false,
      });
    }
    // The two guests, and the partner (by profile) and the visitor (by message) outside the team.
    expect(audience.map((row: { activePeople: number }) => row.activePeople).slice(1)).toEqual([2, 2]);
    const summary = (await api.get(`/api/v1/metrics/summary?teamId=${TEAM}&from=${ALL.from}&to=${ALL.to}`)).json();
    expect(audience.reduce((sum: number, row: { activePeople: number }) => sum + row.activePeople, 0)).toBe(summary.activeMembers);
  });

  it('reports first-reply times in whole milliseconds', async () => {
    const channels = (await api.get(`/api/v1/metrics/channels?teamId=${TEAM}&from=${ALL.from}&to=${ALL.to}`)).json().data;
    const times = channels
      .flatMap((channel: { firstReplyP50Seconds: number | null; firstReplyP90Seconds: number | null }) => [
        channel.firstReplyP50Seconds,
        channel.firstReplyP90Seconds,
      ])
      .filter((seconds: number | null) => seconds !== null);
    expect(times.length).toBeGreaterThan(0);
    for (const seconds of times)
      expect({ seconds, milliseconds: Number.isInteger(Math.round(seconds * 1e6) / 1e3) }).toEqual({ seconds, milliseconds: true });
  });

  it('follows edits, deletions, late reactions and replies, imports and reclassified users after an incremental run', async () => {
    const oldMessage = generated.find(
      (message) => message.subtype === null && !message.deleted && !message.threadTs && message.channelId === 'C2',
    )!;
    const at = (iso: string) => tsAt(iso);
    const lateReplyTs = at('2025-03-20T03:00:00Z');
    const newThreadParent = generated.find(
      (message) =>
        message.subtype === null &&
        !message.deleted &&
        message.threadTs === null &&
        message.channelId === 'C1' &&
        message.userId !== 'UBOB',
    )!;

    // An edit that changes nothing countable, and a deletion.
    await dataSource.query(`UPDATE messages SET edited_at = now(), updated_at = now() WHERE ts = $1`, [quiet.ghostMessage.ts]);
    await dataSource.query(`UPDATE messages SET deleted_at = now(), updated_at = now() WHERE channel_id = $1 AND ts = $2`, [
      oldMessage.channelId,
      oldMessage.ts,
    ]);
    // A reaction on a month-old message: a new active member on that day.
    await dataSource.query(
      `UPDATE messages SET reactions = $2, reactors = $3, reaction_count = 1, updated_at = now() WHERE channel_id = 'C1' AND ts = $1`,
      [quiet.fileShare.ts, JSON.stringify(reactionsOf(['wave', ['UERIN']])), ['UERIN']],
    );
    // New replies on old threads a month later: a first reply appears, and a message becomes a thread.
    await insertMessages(dataSource, [
      { channelId: 'C1', teamId: TEAM, ts: lateReplyTs, userId: 'UCAROL', threadTs: quiet.threadOnlyAuthorReplied.ts },
      { channelId: 'C1', teamId: TEAM, ts: at('2025-04-12T00:00:00Z'), userId: 'UBOB', threadTs: newThreadParent.ts },
      // A late import of older history.
      { channelId: 'C2', teamId: TEAM, ts: at('2025-02-10T12:00:00Z'), userId: 'UDAVE', source: 'import' },
      {
        channelId: 'C2',
        teamId: TEAM,
        ts: at('2025-02-11T12:00:00Z'),
        userId: 'UALICE',
        source: 'import',
        reactions: reactionsOf(['ok', ['UBOB', 'UBOT']]),
      },
      { channelId: 'C3', teamId: TEAM, ts: at('2025-02-11T13:00:00Z'), userId: 'UALICE', subtype: 'channel_leave', source: 'import' },
      // Older history of a newcomer: her first active day moves back by seven weeks, into another cohort.
      { channelId: 'C2', teamId: TEAM, ts: at('2025-02-12T12:00:00Z'), userId: 'ULATE', source: 'import' },
    ]);
    // A member's first message deleted: his first active day moves later.
    await dataSource.query(
      `UPDATE messages SET deleted_at = now(), updated_at = now() WHERE user_id = 'ULEAVES' AND posted_at < '2025-03-05'`,
    );
    // Bob moves: his time zone is read when asked, on every day he was active, without recounting.
    await dataSource.query(`UPDATE users SET tz = 'Asia/Kolkata', updated_at = now() WHERE id = 'UBOB'`);
    // The guest becomes a member: her messages, threads and days count as a member's without recounting.
    await dataSource.query(`UPDATE users SET is_restricted = false, updated_at = now() WHERE id = 'UGUEST'`);
    // Erin turns out to be a bot: every day she posted or reacted on changes.
    await dataSource.query(`UPDATE users SET is_bot = true, updated_at = now() WHERE id = 'UERIN'`);

    const response = await api.post('/api/v1/admin/aggregations', {});
    expect(response.status).toBe(201);
    expect(response.json()).toMatchObject({ mode: 'incremental', status: 'succeeded', trigger: 'api' });
    expect(response.json().days).toBeGreaterThan(0);
    await expectApiMatchesReference();

    const general = (await api.get(`/api/v1/metrics/channels/C1?from=${QUIET_DAY}&to=${QUIET_DAY}`)).json().data[0];
    expect(general.firstReplyP50Seconds).toBeGreaterThan(90000);
  });

  it('re-running gives identical rows: the incremental result equals a full rebuild', async () => {
    const snapshot = async () => {
      const result: Record<string, unknown[]> = {};
      for (const table of ROLLUP_TABLES) result[table] = await dataSource.query(`SELECT * FROM ${table} ORDER BY 1, 2, 3`);
      return JSON.parse(JSON.stringify(result));
    };
    const incremental = await snapshot();
    expect(await api.aggregation.run({ trigger: 'test', full: true })).toMatchObject({ status: 'succeeded', run: { mode: 'full' } });
    expect(await snapshot()).toEqual(incremental);
    expect(await api.aggregation.run({ trigger: 'test', from: '2025-03-01', to: '2025-03-31' })).toMatchObject({
      status: 'succeeded',
      run: { mode: 'range', days: 31 },
    });
    expect(await snapshot()).toEqual(incremental);
    // Nothing changed since: an incremental run finds at most the re-scanned recent changes, and changes nothing.
    await api.aggregation.run({ trigger: 'test' });
    expect(await snapshot()).toEqual(incremental);
  });
});
