import { ROLLUPS_CHANGED_CHANNEL } from '@app/metrics';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { waitFor } from '../support/processes';
import { ADMIN_TOKEN, ApiHarness, READ_TOKEN, startApiHarness } from './api-harness';
import { OTHER_TEAM, QUIET_DAY, TEAM, TIMEZONE, insertMessages, insertWorkspace, quietDay } from './fixture';

const RANGE = `teamId=${TEAM}&from=${QUIET_DAY}&to=${QUIET_DAY}`;

describe('REST API v1 contract', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: ApiHarness;

  beforeAll(async () => {
    database = await createTestDatabase('metrics_contract');
    dataSource = await migratedDataSource(database);
    await insertWorkspace(dataSource);
    await insertMessages(dataSource, quietDay().messages);
    await dataSource.query(
      `INSERT INTO channel_sync_state (channel_id, newest_ts, last_run_at, last_success_at, last_error, last_error_at)
       VALUES ('C1', '1740009600.000100', now(), now(), NULL, NULL), ('C2', NULL, now(), NULL, 'not_in_channel', now())`,
    );
    api = await startApiHarness(database.url, TIMEZONE);
    expect(await api.aggregation.run({ trigger: 'test' })).toMatchObject({ status: 'succeeded' });
  });

  afterAll(async () => {
    await api?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  const errorOf = async (path: string, headers?: Record<string, string>) => {
    const response = await api.get(path, headers);
    return { status: response.status, body: response.json(), headers: response.headers };
  };

  describe('bearer tokens', () => {
    it('401 without a token or with an unknown one, saying why', async () => {
      const missing = await errorOf('/api/v1/workspaces', {});
      expect(missing).toMatchObject({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', message: expect.stringContaining('missing bearer token') },
      });
      expect(missing.headers['www-authenticate']).toContain('Bearer');
      expect(await errorOf('/api/v1/workspaces', { authorization: `Bearer ${READ_TOKEN}x` })).toMatchObject({
        status: 401,
        body: { message: 'unknown bearer token' },
      });
      expect(await errorOf('/api/v1/workspaces', { authorization: `Basic ${READ_TOKEN}` })).toMatchObject({ status: 401 });
    });

    it('read tokens may read, only admin tokens may POST; health stays open', async () => {
      expect((await api.get('/api/v1/workspaces')).status).toBe(200);
      expect((await api.get('/api/v1/workspaces', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
      const forbidden = await api.post('/api/v1/admin/aggregations', {}, READ_TOKEN);
      expect(forbidden.status).toBe(403);
      expect(forbidden.json()).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringContaining('admin token') });
      expect((await api.get('/health/live', {})).status).toBe(200);
      expect(await api.aggregation.run({ trigger: 'test' })).toMatchObject({ status: 'succeeded' });
    });
  });

  describe('validation', () => {
    it.each([
      ['/api/v1/metrics/summary?from=2025-02-30', 'from must be a calendar date written YYYY-MM-DD'],
      ['/api/v1/metrics/summary?from=20250201', 'from must be a calendar date written YYYY-MM-DD'],
      [`/api/v1/metrics/summary?teamId=${TEAM}&from=2025-03-02&to=2025-03-01`, 'to (2025-03-01) is before from (2025-03-02)'],
      [`/api/v1/metrics/summary?teamId=${TEAM}&from=2024-01-01&to=2025-03-01`, 'spans 426 days; the maximum is 366'],
      [`/api/v1/metrics/summary?${RANGE}&foo=1`, 'property foo should not exist'],
      [`/api/v1/metrics/channels/C1?granularity=year`, 'granularity must be one of the following values: day, week, month'],
      [`/api/v1/metrics/channels?${RANGE}&sort=bogus`, 'sort must be one of the following values'],
      [`/api/v1/metrics/users?${RANGE}&limit=0`, 'limit must not be less than 1'],
      [`/api/v1/metrics/users?${RANGE}&limit=1001`, 'limit must not be greater than 1000'],
      [`/api/v1/metrics/users?${RANGE}&limit=ten`, 'limit must be an integer number'],
      [`/api/v1/metrics/summary?${RANGE}&format=xml`, 'format must be one of the following values: json, csv'],
      [`/api/v1/metrics/time-zones?teamId=${TEAM}&from=2025-03-02&to=2025-03-01`, 'to (2025-03-01) is before from (2025-03-02)'],
      [`/api/v1/metrics/time-zones?teamId=${TEAM}&from=2024-01-01&to=2025-03-01`, 'spans 426 days; the maximum is 366'],
      [`/api/v1/metrics/time-zones?from=${QUIET_DAY}&to=${QUIET_DAY}`, 'teamId is required: 2 workspaces are stored'],
      [`/api/v1/metrics/audience?teamId=${TEAM}&from=2025-03-02&to=2025-03-01`, 'to (2025-03-01) is before from (2025-03-02)'],
      [`/api/v1/metrics/audience?teamId=${TEAM}&from=2024-01-01&to=2025-03-01`, 'spans 426 days; the maximum is 366'],
      [`/api/v1/metrics/audience?${RANGE}&format=pdf`, 'format must be one of the following values: json, csv'],
      ['/api/v1/channels?cursor=bm90LWEtY3Vyc29y', 'cursor is not one this API returned'],
      // ["\u0000","C"] and ["general","C\u0000"]
      ['/api/v1/channels?cursor=WyJcdTAwMDAiLCJDIl0', 'cursor is not one this API returned'],
      [`/api/v1/channels?cursor=${Buffer.from('["general","C\\u0000"]').toString('base64url')}`, 'cursor is not one this API returned'],
      [`/api/v1/metrics/users/channels?${RANGE}&limit=0`, 'limit must not be less than 1'],
      [`/api/v1/metrics/users/channels?${RANGE}&limit=1001`, 'limit must not be greater than 1000'],
      [`/api/v1/metrics/users/channels?${RANGE}&userId=U%20X`, 'userId must be a Slack user id'],
      [`/api/v1/metrics/users/channels?${RANGE}&channelId=C%2F1`, 'channelId must be a Slack channel id'],
      [`/api/v1/metrics/users/channels?${RANGE}&cursor=bm90LWEtY3Vyc29y`, 'cursor is not one this API returned'],
      // ["UALICE"], ["UALICE","C 1"] and ["UALICE",1]
      [`/api/v1/metrics/users/channels?${RANGE}&cursor=WyJVQUxJQ0UiXQ`, 'cursor is not one this API returned'],
      [`/api/v1/metrics/users/channels?${RANGE}&cursor=WyJVQUxJQ0UiLCJDIDEiXQ`, 'cursor is not one this API returned'],
      [`/api/v1/metrics/users/channels?${RANGE}&cursor=WyJVQUxJQ0UiLDFd`, 'cursor is not one this API returned'],
      ['/api/v1/channels?includeArchived=maybe', 'includeArchived must be true or false'],
      [`/api/v1/metrics/summary?from=${QUIET_DAY}&to=${QUIET_DAY}`, 'teamId is required: 2 workspaces are stored'],
      ['/api/v1/metrics/users/U%20X', 'userId must be a Slack user id'],
      // Of a team that is not stored, so their workspace must be named.
      [`/api/v1/metrics/users/UPARTNER?from=${QUIET_DAY}&to=${QUIET_DAY}`, 'teamId is required: 2 workspaces are stored'],
      ['/api/v1/metrics/channels/C1?teamId=T%201', 'teamId must be a Slack team id'],
      [`/api/v1/metrics/retention?${RANGE}&granularity=day`, 'granularity must be one of the following values: week, month'],
      [`/api/v1/metrics/members-flow?${RANGE}&granularity=year`, 'granularity must be one of the following values: day, week, month'],
      [`/api/v1/metrics/retention?teamId=${TEAM}&from=2024-01-01&to=2025-03-01`, 'spans 426 days; the maximum is 366'],
      [`/api/v1/metrics/members-flow?teamId=${TEAM}&from=2025-03-02&to=2025-03-01`, 'to (2025-03-01) is before from (2025-03-02)'],
      ['/api/v1/metrics/summary?from=0099-12-07', 'from must be a calendar date written YYYY-MM-DD from 1970-01-01 to 9999-12-31'],
      ['/api/v1/metrics/summary?to=0100-01-05', 'to must be a calendar date written YYYY-MM-DD from 1970-01-01 to 9999-12-31'],
      ['/api/v1/metrics/summary?to=%2B010000-01-01', 'to must be a calendar date written YYYY-MM-DD'],
      [
        `/api/v1/metrics/summary?teamId=${TEAM}&to=1970-01-05`,
        'from defaults to 29 days before to (1970-01-05), which is before the first supported day, 1970-01-01; give from',
      ],
    ])('%s → 400 naming the problem', async (path, message) => {
      const { status, body } = await errorOf(path);
      expect(status).toBe(400);
      expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining(message) });
    });

    it('404 for unknown ids', async () => {
      expect(await errorOf('/api/v1/metrics/channels/CNOPE')).toMatchObject({ status: 404, body: { message: 'no channel CNOPE' } });
      expect(await errorOf('/api/v1/metrics/users/UNOPE')).toMatchObject({ status: 404, body: { message: 'no user UNOPE' } });
      expect(await errorOf('/api/v1/metrics/summary?teamId=TNOPE')).toMatchObject({
        status: 404,
        body: { statusCode: 404, error: 'Not Found' },
      });
      // An author missing from users.json still has metrics.
      expect((await api.get('/api/v1/metrics/users/UGHOST')).status).toBe(200);
      expect(await errorOf('/api/v1/metrics/channels/C1?teamId=TNOPE')).toMatchObject({
        status: 404,
        body: { message: 'no workspace TNOPE' },
      });
      expect(await errorOf(`/api/v1/metrics/users/UGHOST?teamId=${OTHER_TEAM}`)).toMatchObject({
        status: 404,
        body: { message: 'no user UGHOST' },
      });
    });

    it("counts a channel's or a member's series in one workspace: the one named, else the channel's or the profile's", async () => {
      const range = `from=${QUIET_DAY}&to=${QUIET_DAY}`;
      const channel = (await api.get(`/api/v1/metrics/channels/C1?${range}`)).json();
      expect(channel).toMatchObject({ teamId: TEAM, channelId: 'C1' });
      expect(channel.data[0].messages).toBeGreaterThan(0);
      const elsewhere = (await api.get(`/api/v1/metrics/channels/C1?teamId=${OTHER_TEAM}&${range}`)).json();
      expect(elsewhere).toMatchObject({ teamId: OTHER_TEAM, channelId: 'C1' });
      expect(elsewhere.data.map((row: { messages: number }) => row.messages)).toEqual([0]);

      const member = (await api.get(`/api/v1/metrics/users/UALICE?${range}`)).json();
      expect(member).toMatchObject({ teamId: TEAM, userId: 'UALICE' });
      expect((await api.get(`/api/v1/metrics/users/UALICE?teamId=${TEAM}&${range}`)).json()).toEqual(member);
      // Never listed: found in the rollups of the workspace they were active in.
      expect((await api.get(`/api/v1/metrics/users/UGHOST?${range}`)).json()).toMatchObject({ teamId: TEAM, name: null });
      const partner = (await api.get(`/api/v1/metrics/users/UPARTNER?teamId=${TEAM}&${range}`)).json();
      expect(partner).toMatchObject({ teamId: TEAM, userId: 'UPARTNER' });
    });

    it('rejects unknown body fields and bad dates on POST', async () => {
      expect((await api.post('/api/v1/admin/aggregations', { everything: true })).json()).toMatchObject({
        statusCode: 400,
        message: 'property everything should not exist',
      });
      expect((await api.post('/api/v1/admin/aggregations', { from: '2025-13-01' })).status).toBe(400);
      for (const [body, kind] of [
        [null, 'null'],
        [[], 'an array'],
        [7, 'a number'],
        ['2025-02-20', 'a string'],
      ] as const)
        expect((await api.post('/api/v1/admin/aggregations', body)).json()).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: `the request body must be a JSON object, not ${kind}`,
        });
      expect((await api.post('/api/v1/admin/aggregations', { from: QUIET_DAY, to: null })).json()).toMatchObject({
        statusCode: 400,
        message: expect.stringContaining('to must be a calendar date'),
      });
      const range = await api.post('/api/v1/admin/aggregations', { from: QUIET_DAY, to: '2025-02-22' });
      expect(range.status).toBe(201);
      expect(range.json()).toMatchObject({
        mode: 'range',
        status: 'succeeded',
        fromDay: QUIET_DAY,
        toDay: '2025-02-22',
        days: 3,
        trigger: 'api',
      });
    });
  });

  describe('the supported days, 1970-01-01 to 9999-12-31', () => {
    it('answers for ranges at both ends of them', async () => {
      expect((await api.get(`/api/v1/metrics/summary?teamId=${TEAM}&from=9999-12-31&to=9999-12-31`)).json()).toMatchObject({ messages: 0 });
      expect((await api.get(`/api/v1/metrics/active-members?teamId=${TEAM}&to=1970-01-30`)).json().data).toHaveLength(30);
    });

    it('refuses a recomputation whose DAU/WAU/MAU windows would pass the last day, at once, and leaves no run running', async () => {
      const refused = await api.post('/api/v1/admin/aggregations', { from: '9999-12-31', to: '9999-12-31' });
      expect(refused.status).toBe(400);
      expect(refused.json().message).toBe(
        'to (9999-12-31) is after 9999-12-04: a run also recomputes the DAU/WAU/MAU of the 27 days after it, which must end by the last supported day, 9999-12-31',
      );
      const latest = await api.post('/api/v1/admin/aggregations', { from: '9999-12-04' });
      expect(latest.json()).toMatchObject({ status: 'succeeded', mode: 'range', fromDay: '9999-12-04', toDay: '9999-12-04', days: 1 });
      // Asked directly, the service fails the run with the reason instead of computing.
      expect(await api.aggregation.run({ trigger: 'test', from: '9999-12-31', to: '9999-12-31' })).toMatchObject({
        status: 'failed',
        run: { status: 'failed', error: expect.stringContaining('is after 9999-12-04') },
      });
      const runs = (await api.get('/api/v1/admin/aggregations', { authorization: `Bearer ${ADMIN_TOKEN}` })).json().data;
      expect(runs.filter((run: { status: string }) => run.status === 'running')).toEqual([]);
      expect((await api.get('/health/live', {})).status).toBe(200);
      expect(await api.aggregation.run({ trigger: 'test' })).toMatchObject({ status: 'succeeded' });
    });
  });

  describe('CSV', () => {
    it('serves lists as RFC 4180 CSV with a header row, by query or Accept header', async () => {
      const response = await api.get(`/api/v1/metrics/channels?${RANGE}&format=csv&sort=-messages`);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      const lines = response.body.split('\r\n');
      expect(lines[0]).toBe(
        'channelId,name,messages,humanMessages,threadReplies,threadsStarted,reactions,activePosters,firstReplyP50Seconds,firstReplyP90Seconds',
      );
      expect(lines[1]).toMatch(/^C1,general,14,9,4,2,4,3,90000,90000$/);
      expect(lines[lines.length - 1]).toBe('');

      const byAccept = await api.get(`/api/v1/metrics/active-members?${RANGE}`, {
        authorization: `Bearer ${READ_TOKEN}`,
        accept: 'text/csv',
      });
      expect(byAccept.body).toBe(`date,dau,wau,mau\r\n${QUIET_DAY},5,5,5\r\n`);
      const summary = await api.get(`/api/v1/metrics/summary?${RANGE}&format=csv`);
      expect(summary.body.split('\r\n')[1]).toBe(`${TEAM},${QUIET_DAY},${QUIET_DAY},14,9,4,2,4,5,1`);
    });

    it('serves retention cohorts and the members flow as CSV, periods counted whole', async () => {
      const retention = await api.get(`/api/v1/metrics/retention?${RANGE}&format=csv`);
      expect(retention.headers['content-disposition']).toBe('attachment; filename="retention.csv"');
      // The quiet day is a Thursday, and the late replies to its threads over the two days after are the latest activity: one cohort, period 0 only.
      expect(retention.body).toBe(`cohort,cohortSize,period,date,active,share\r\n2025-02-17,5,0,2025-02-17,5,1\r\n`);
      const flow = await api.get(`/api/v1/metrics/members-flow?teamId=${TEAM}&from=${QUIET_DAY}&to=2025-02-21&granularity=day`, {
        authorization: `Bearer ${READ_TOKEN}`,
        accept: 'text/csv',
      });
      expect(flow.body).toBe(`date,new,returning,churned,active\r\n${QUIET_DAY},5,0,0,5\r\n2025-02-21,0,2,3,2\r\n`);
      const weekly = (await api.get(`/api/v1/metrics/members-flow?${RANGE}`)).json();
      expect(weekly).toEqual({
        teamId: TEAM,
        from: QUIET_DAY,
        to: QUIET_DAY,
        granularity: 'week',
        data: [{ date: '2025-02-17', new: 5, returning: 0, churned: 0, active: 5 }],
      });
    });

    it('serves members per time zone, an unknown zone as an empty cell', async () => {
      const response = await api.get(`/api/v1/metrics/time-zones?${RANGE}&format=csv`);
      expect(response.status).toBe(200);
      expect(response.headers['content-disposition']).toBe('attachment; filename="time-zones.csv"');
      expect(response.body).toBe('timezone,members,share\r\nAsia/Tokyo,2,0.4\r\n,2,0.4\r\nEurope/Berlin,1,0.2\r\n');
      expect((await api.get(`/api/v1/metrics/time-zones?${RANGE}`)).json()).toEqual({
        teamId: TEAM,
        from: QUIET_DAY,
        to: QUIET_DAY,
        data: [
          { timezone: 'Asia/Tokyo', members: 2, share: 0.4 },
          { timezone: null, members: 2, share: 0.4 },
          { timezone: 'Europe/Berlin', members: 1, share: 0.2 },
        ],
      });
      expect((await api.get(`/api/v1/metrics/time-zones?teamId=${TEAM}&from=2025-01-01&to=2025-01-31`)).json().data).toEqual([]);
    });

    it('serves the audience split, every audience listed, members only on the quiet day', async () => {
      const response = await api.get(`/api/v1/metrics/audience?${RANGE}`, { authorization: `Bearer ${READ_TOKEN}`, accept: 'text/csv' });
      expect(response.status).toBe(200);
      expect(response.headers['content-disposition']).toBe('attachment; filename="audience.csv"');
      // 9 human messages by Alice, Bob and the unknown author; Carol and Dave by reacting; Alice's and Bob's threads.
      expect(response.body).toBe(
        'audience,messages,activePeople,threadsStarted,firstReplyP50Seconds,firstReplyP90Seconds\r\n' +
          'member,9,5,2,90000,90000\r\nguest,0,0,0,,\r\nexternal,0,0,0,,\r\n',
      );
      expect((await api.get(`/api/v1/metrics/audience?${RANGE}`)).json()).toMatchObject({
        teamId: TEAM,
        from: QUIET_DAY,
        to: QUIET_DAY,
        data: [
          { audience: 'member', messages: 9, activePeople: 5, threadsStarted: 2 },
          { audience: 'guest', messages: 0, activePeople: 0, threadsStarted: 0, firstReplyP50Seconds: null, firstReplyP90Seconds: null },
          { audience: 'external', messages: 0, activePeople: 0, threadsStarted: 0, firstReplyP50Seconds: null, firstReplyP90Seconds: null },
        ],
      });
    });

    it('quotes commas and quotes, and disarms formulas', async () => {
      await dataSource.query(`UPDATE channels SET name = '=HYPERLINK("x")' WHERE id = 'C4'`);
      const csv = (await api.get('/api/v1/channels?includeArchived=true&format=csv')).body;
      expect(csv).toContain('C3,T1,"dev, ""ops"" & =sums",public,false,true,7,');
      expect(csv).toContain(`C4,T1,"'=HYPERLINK(""x"")",public,false,false,7,`);
    });
  });

  describe('member × channel', () => {
    type MemberChannelPage = { data: Array<{ userId: string; channelId: string }>; nextCursor: string | null };
    const path = `/api/v1/metrics/users/channels?${RANGE}`;

    it('pages with an opaque cursor through every row exactly once, in user then channel order', async () => {
      const whole: MemberChannelPage = (await api.get(`${path}&limit=1000`)).json();
      expect(whole.nextCursor).toBeNull();
      expect(whole.data.length).toBeGreaterThan(4);
      const keys = whole.data.map((row) => `${row.userId}/${row.channelId}`);
      expect(keys).toEqual([...keys].sort());
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: MemberChannelPage = (await api.get(`${path}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(whole.data);
      expect(whole.data).toContainEqual({ userId: 'UCAROL', channelId: 'C1', messages: 0, reactionsAdded: expect.any(Number) });
    });

    it('refuses a cursor whose position was edited, saying so', async () => {
      const first: MemberChannelPage = (await api.get(`${path}&limit=1`)).json();
      const [userId] = JSON.parse(Buffer.from(first.nextCursor!, 'base64url').toString('utf8'));
      const edited = Buffer.from(JSON.stringify([userId, "C1' OR 1=1"])).toString('base64url');
      expect(await errorOf(`${path}&cursor=${edited}`)).toMatchObject({
        status: 400,
        body: { message: 'cursor is not one this API returned (use nextCursor from the previous page)' },
      });
      expect(await errorOf(`${path}&cursor=${first.nextCursor!.slice(0, -2)}`)).toMatchObject({ status: 400 });
    });

    it('serves CSV a page at a time, the next cursor in X-Next-Cursor', async () => {
      const whole: MemberChannelPage = (await api.get(`${path}&limit=1000`)).json();
      const rows: string[] = [];
      let cursor: string | undefined;
      do {
        const response = await api.get(`${path}&limit=3&format=csv${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
        const [header, ...lines] = response.body.split('\r\n');
        expect(header).toBe('userId,channelId,messages,reactionsAdded');
        expect(lines.pop()).toBe('');
        rows.push(...lines);
        cursor = response.headers['x-next-cursor'] as string | undefined;
      } while (cursor);
      expect(rows).toEqual(whole.data.map((row) => Object.values(row).join(',')));
    });

    it('filters by member and by channel', async () => {
      const whole: MemberChannelPage = (await api.get(`${path}&limit=1000`)).json();
      const alice: MemberChannelPage = (await api.get(`${path}&userId=UALICE`)).json();
      expect(alice.data).toEqual(whole.data.filter((row) => row.userId === 'UALICE'));
      expect(alice.data.length).toBeGreaterThan(0);
      const general: MemberChannelPage = (await api.get(`${path}&channelId=C1`)).json();
      expect(general.data).toEqual(whole.data.filter((row) => row.channelId === 'C1'));
      expect((await api.get(`${path}&userId=UNOBODY`)).json()).toMatchObject({ data: [], nextCursor: null });
    });
  });

  describe('channels', () => {
    it('pages with an opaque cursor through every channel exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: Array<{ id: string }>; nextCursor: string | null } = (
          await api.get(`/api/v1/channels?includeArchived=true&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((channel) => channel.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(['C1', 'C2', 'C3', 'C4', 'C9']);
    });

    it('filters by workspace, name and archived state, with member count and last activity', async () => {
      const channels = (await api.get(`/api/v1/channels?teamId=${TEAM}&q=GEN`)).json().data;
      expect(channels).toEqual([
        {
          id: 'C1',
          teamId: TEAM,
          name: 'general',
          kind: 'public',
          isPrivate: false,
          isArchived: false,
          memberCount: 7,
          lastActivityAt: '2025-02-22T00:00:00.000Z',
        },
      ]);
      const ids = (await api.get(`/api/v1/channels?teamId=${TEAM}`)).json().data.map((channel: { id: string }) => channel.id);
      expect(ids).not.toContain('C3');
      expect((await api.get('/api/v1/channels?q=%25')).json().data).toEqual([]);
    });
  });

  it('serves repeated questions from memory until another process announces new rollups', async () => {
    const path = `/api/v1/metrics/summary?${RANGE}`;
    await waitFor(async () => {
      // The listener connects on first use; until then answers are not cached.
      await api.get(path);
      await dataSource.query(`UPDATE team_day_rollups SET reactions = reactions + 1000 WHERE team_id = '${TEAM}' AND day = $1`, [
        QUIET_DAY,
      ]);
      const reactions = (await api.get(path)).json().reactions;
      await dataSource.query(`UPDATE team_day_rollups SET reactions = reactions - 1000 WHERE team_id = '${TEAM}' AND day = $1`, [
        QUIET_DAY,
      ]);
      return reactions === 4 ? true : undefined;
    }, 10_000);
    await dataSource.query(`UPDATE team_day_rollups SET reactions = reactions + 1000 WHERE team_id = '${TEAM}' AND day = $1`, [QUIET_DAY]);
    expect((await api.get(path)).json().reactions).toBe(4);
    await dataSource.query(`SELECT pg_notify('${ROLLUPS_CHANGED_CHANNEL}', 'test')`);
    await waitFor(async () => ((await api.get(path)).json().reactions === 1004 ? true : undefined), 5000);
    await dataSource.query(`UPDATE team_day_rollups SET reactions = reactions - 1000 WHERE team_id = '${TEAM}' AND day = $1`, [QUIET_DAY]);
    await dataSource.query(`SELECT pg_notify('${ROLLUPS_CHANGED_CHANNEL}', 'test')`);
    await waitFor(async () => ((await api.get(path)).json().reactions === 4 ? true : undefined), 5000);
  });

  it('answers a burst of the same new question with one query', async () => {
    const path = `/api/v1/metrics/channels?${RANGE}&limit=7`;
    // Caching starts once the listener is connected, which the first question sets off.
    await api.get(`/api/v1/metrics/summary?${RANGE}`);
    await waitFor(async () => {
      const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM pg_stat_activity WHERE query = $1`, [
        `LISTEN ${ROLLUPS_CHANGED_CHANNEL}`,
      ]);
      return count > 0 ? true : undefined;
    }, 5000);
    const waitingQueries = () =>
      dataSource.query(
        `SELECT count(*)::int AS count FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%member_channel_day_rollups%'`,
      );
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    let burst: Promise<string[]>;
    try {
      // Held until every request has arrived, so none can be answered before the others ask.
      await runner.query('LOCK TABLE member_channel_day_rollups IN ACCESS EXCLUSIVE MODE');
      burst = Promise.all(Array.from({ length: 12 }, async () => (await api.get(path)).body));
      await waitFor(async () => ((await waitingQueries())[0].count > 0 ? true : undefined), 5000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await waitingQueries())[0].count).toBe(1);
    } finally {
      await runner.commitTransaction();
      await runner.release();
    }
    const bodies = await burst;
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]).data[0]).toMatchObject({ channelId: 'C1' });
  });

  it('tells read tokens when the numbers were last rolled up, in which zone, and what day it is there', async () => {
    const [run] = (await api.get('/api/v1/admin/aggregations?limit=1', { authorization: `Bearer ${ADMIN_TOKEN}` })).json().data;
    const freshness = await api.get('/api/v1/metrics/freshness');
    expect(freshness.status).toBe(200);
    const todayThere = new Intl.DateTimeFormat('en-CA', { timeZone: TIMEZONE }).format(new Date());
    expect(freshness.json()).toEqual({ aggregatedAt: run.finishedAt, timezone: TIMEZONE, today: todayThere });
    expect((await api.get('/api/v1/metrics/freshness', {})).status).toBe(401);
  });

  it('lists runs and sync status', async () => {
    const runs = (await api.get('/api/v1/admin/aggregations?limit=5')).json().data;
    expect(runs[0]).toMatchObject({
      status: 'succeeded',
      mode: expect.any(String),
      rows: expect.any(Number),
      durationMs: expect.any(Number),
    });
    const status = (await api.get(`/api/v1/admin/sync-status?teamId=${TEAM}`)).json().data;
    expect(status).toEqual([
      expect.objectContaining({
        channelId: 'C1',
        name: 'general',
        newestTs: '1740009600.000100',
        newestMessageAt: '2025-02-20T00:00:00.000Z',
        lastError: null,
      }),
      expect.objectContaining({ channelId: 'C2', name: 'random', newestTs: null, lastError: 'not_in_channel' }),
    ]);
  });

  it('describes every endpoint, parameter, response and error in the OpenAPI document', async () => {
    const response = await api.get('/docs-json', {});
    expect(response.status).toBe(200);
    const document = response.json();
    const operations = Object.entries(
      document.paths as Record<
        string,
        Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown>; security?: unknown }>
      >,
    )
      .filter(([path]) => path.startsWith('/api/v1'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
      );
    expect(operations.map((entry) => entry.key).sort()).toEqual(
      [
        'GET /api/v1/workspaces',
        'GET /api/v1/channels',
        'GET /api/v1/metrics/summary',
        'GET /api/v1/metrics/series',
        'GET /api/v1/metrics/freshness',
        'GET /api/v1/metrics/active-members',
        'GET /api/v1/metrics/channels',
        'GET /api/v1/metrics/channels/{channelId}',
        'GET /api/v1/metrics/users',
        'GET /api/v1/metrics/users/{userId}',
        'GET /api/v1/metrics/users/channels',
        'GET /api/v1/metrics/heatmap',
        'GET /api/v1/metrics/retention',
        'GET /api/v1/metrics/members-flow',
        'GET /api/v1/metrics/time-zones',
        'GET /api/v1/metrics/audience',
        'POST /api/v1/admin/aggregations',
        'GET /api/v1/admin/aggregations',
        'GET /api/v1/admin/sync-status',
      ].sort(),
    );
    for (const { key, operation } of operations) {
      expect({ key, codes: Object.keys(operation.responses).sort() }).toEqual({
        key,
        codes: expect.arrayContaining(['400', '401', '403', '500']),
      });
      expect(operation.security).toEqual([{ bearer: [] }]);
    }
    const channels = operations.find((entry) => entry.key === 'GET /api/v1/metrics/channels')!.operation;
    expect(channels.parameters!.map((parameter) => parameter.name).sort()).toEqual(['format', 'from', 'limit', 'sort', 'teamId', 'to']);
    const memberChannels = operations.find((entry) => entry.key === 'GET /api/v1/metrics/users/channels')!.operation;
    expect(memberChannels.parameters!.map((parameter) => parameter.name).sort()).toEqual(
      ['channelId', 'cursor', 'format', 'from', 'limit', 'teamId', 'to', 'userId'].sort(),
    );
    expect(document.components.schemas.ErrorResponse.required).toEqual(['statusCode', 'error', 'message']);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await api.get('/docs', {});
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});
