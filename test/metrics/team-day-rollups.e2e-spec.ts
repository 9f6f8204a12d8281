import { addDays } from '@app/metrics';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { ApiHarness, startApiHarness } from './api-harness';
import { QUIET_DAY, TEAM, TIMEZONE, insertMessages, insertWorkspace, quietDay } from './fixture';

/** The next day's messages by `count` members never seen before, one each, posted now. */
async function newMembersPost(dataSource: DataSource, day: string, count: number): Promise<void> {
  await dataSource.query(
    `INSERT INTO messages (channel_id, ts, team_id, user_id, posted_at, source)
     SELECT 'C1', (extract(epoch FROM $1::date + time '12:00') + n)::bigint || '.000100', $2, 'UNEW' || lpad(n::text, 4, '0'),
            to_timestamp(extract(epoch FROM $1::date + time '12:00') + n), 'collect'
     FROM generate_series(1, $3::int) n`,
    [day, TEAM, count],
  );
}

describe('distinct active members and channels from per-day sets', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: ApiHarness;
  const nextDay = '2025-03-10';
  const bitsets = () =>
    dataSource.query(`SELECT team_id, day::text, members::text, channels::text FROM team_day_rollups ORDER BY team_id, day`) as Promise<
      Array<{ team_id: string; day: string; members: string; channels: string }>
    >;
  const distinctFromMemberDays = async (from: string, to: string) =>
    (
      await dataSource.query(
        `SELECT count(DISTINCT user_id)::int AS n FROM member_day_rollups WHERE team_id = $1 AND day BETWEEN $2 AND $3`,
        [TEAM, from, to],
      )
    )[0].n;

  const distinctFromChannelDays = async (from: string, to: string) =>
    (
      await dataSource.query(
        `SELECT count(DISTINCT channel_id)::int AS n FROM channel_day_rollups WHERE team_id = $1 AND day BETWEEN $2 AND $3`,
        [TEAM, from, to],
      )
    )[0].n;

  beforeAll(async () => {
    database = await createTestDatabase('team_day_rollups');
    dataSource = await migratedDataSource(database);
    await insertWorkspace(dataSource);
    await insertMessages(dataSource, quietDay().messages);
    api = await startApiHarness(database.url, TIMEZONE);
    expect(await api.aggregation.run({ trigger: 'test', full: true })).toMatchObject({ status: 'succeeded' });
  });

  afterAll(async () => {
    await api?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('widens every stored bitset when an incremental run numbers more members than they hold, and counts them all', async () => {
    const before = await bitsets();
    expect(new Set(before.filter((row) => row.team_id === TEAM).map((row) => row.members.length))).toEqual(new Set([256]));

    await newMembersPost(dataSource, nextDay, 300);
    expect(await api.aggregation.run({ trigger: 'test' })).toMatchObject({ status: 'succeeded', run: { mode: 'incremental' } });
    const after = await bitsets();
    expect(new Set(after.filter((row) => row.team_id === TEAM).map((row) => row.members.length))).toEqual(new Set([512]));
    // The stored days keep their members, widened with zeros.
    for (const row of before.filter((stored) => stored.team_id === TEAM)) {
      expect(after.find((widened) => widened.team_id === row.team_id && widened.day === row.day)?.members).toBe(
        row.members.padEnd(512, '0'),
      );
    }

    // The channel sets did not need to grow: the new members posted in a channel already numbered.
    expect(new Set(after.filter((row) => row.team_id === TEAM).map((row) => row.channels.length))).toEqual(new Set([256]));

    const from = addDays(QUIET_DAY, -30);
    for (const [first, last] of [
      [from, nextDay],
      [nextDay, nextDay],
      [from, QUIET_DAY],
    ]) {
      const summary = (await api.get(`/api/v1/metrics/summary?teamId=${TEAM}&from=${first}&to=${last}`)).json();
      expect({ first, last, activeMembers: summary.activeMembers, activeChannels: summary.activeChannels }).toEqual({
        first,
        last,
        activeMembers: await distinctFromMemberDays(first, last),
        activeChannels: await distinctFromChannelDays(first, last),
      });
    }
    expect((await api.get(`/api/v1/metrics/summary?teamId=${TEAM}&from=${nextDay}&to=${nextDay}`)).json().activeMembers).toBe(300);
  });

  it('writes the same bitsets in a full run as the incremental runs did: numbers are never given twice', async () => {
    const incremental = await bitsets();
    const numbers = await dataSource.query(`SELECT team_id, user_id, number FROM member_numbers ORDER BY 1, 2`);
    expect(await api.aggregation.run({ trigger: 'test', full: true })).toMatchObject({ status: 'succeeded', run: { mode: 'full' } });
    expect(await bitsets()).toEqual(incremental);
    expect(await dataSource.query(`SELECT team_id, user_id, number FROM member_numbers ORDER BY 1, 2`)).toEqual(numbers);
    const [{ duplicates }] = await dataSource.query(
      `SELECT count(*)::int AS duplicates FROM (SELECT team_id, number FROM member_numbers GROUP BY 1, 2 HAVING count(*) > 1) repeated`,
    );
    expect(duplicates).toBe(0);
  });
});
