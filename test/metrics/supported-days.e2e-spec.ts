import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { ApiHarness, startApiHarness } from './api-harness';
import { FixtureMessage, insertMessages } from './fixture';

/** Unix seconds of a UTC midnight. */
const secondsOf = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

describe('aggregation across the whole range of supported days', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: ApiHarness;
  const teams = Array.from({ length: 40 }, (_, index) => `TSPAN${index}`);

  beforeAll(async () => {
    database = await createTestDatabase('supported_days');
    dataSource = await migratedDataSource(database);
    // Each workspace has a message on the first day a ts may fall on and one on the last.
    const messages: FixtureMessage[] = teams.flatMap((teamId, index) => [
      { channelId: `C${teamId}`, teamId, userId: `U${teamId}`, ts: `${secondsOf('1970-01-02') + index}.000001` },
      { channelId: `C${teamId}`, teamId, userId: `U${teamId}`, ts: `${secondsOf('9999-12-02') + index}.000001` },
    ]);
    await insertMessages(dataSource, messages);
    await dataSource.query(`INSERT INTO workspaces (id) SELECT unnest($1::text[])`, [teams]);
    api = await startApiHarness(database.url, 'Pacific/Kiritimati');
  });

  afterAll(async () => {
    await api?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('computes DAU/WAU/MAU only around active days, not for every day from 1970 to 9999 of every workspace', async () => {
    expect(await api.aggregation.run({ trigger: 'test', full: true })).toMatchObject({ status: 'succeeded' });
    const [rows] = await dataSource.query(
      `SELECT count(*)::int AS n, min(day)::text AS first, max(day)::text AS last FROM team_activity_rollups`,
    );
    // 28 days of MAU after each of the two active days, per workspace (Kiritimati was UTC-10:40 in 1970, UTC+14 in 9999).
    expect(rows).toEqual({ n: teams.length * 2 * 28, first: '1970-01-01', last: '9999-12-29' });
    const late = await api.get(`/api/v1/metrics/active-members?teamId=${teams[0]}&from=9999-12-01&to=9999-12-31`);
    expect(
      late
        .json()
        .data.filter((day: { mau: number }) => day.mau > 0)
        .map((day: { date: string }) => day.date),
    ).toHaveLength(28);
  });
});
