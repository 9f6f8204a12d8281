import { ROLLUPS_CHANGED_CHANNEL, dayInZone } from '@app/metrics';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { waitFor } from '../support/processes';
import { ApiHarness, startApiHarness } from './api-harness';
import { OTHER_TEAM, TEAM, TIMEZONE, insertWorkspace } from './fixture';

describe('cache warm-up after an aggregation run', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: ApiHarness;
  const today = dayInZone(new Date(), TIMEZONE);
  // The dashboard's opening range: the last 30 days, asked for without from and to.
  const summaryOf = async (teamId: string) => (await api.get(`/api/v1/metrics/summary?teamId=${teamId}`)).json().messages;
  const setMessages = (count: number) => dataSource.query(`UPDATE team_day_rollups SET messages = $1`, [count]);

  beforeAll(async () => {
    database = await createTestDatabase('metrics_warm_up');
    dataSource = await migratedDataSource(database);
    await insertWorkspace(dataSource);
    await dataSource.query(
      `INSERT INTO channel_day_rollups (channel_id, day, team_id, messages, human_messages, thread_replies, threads_started, reactions, last_message_at)
       VALUES ('C1', $1, $2, 5, 5, 0, 0, 0, now()), ('C9', $1, $3, 5, 5, 0, 0, 0, now())`,
      [today, TEAM, OTHER_TEAM],
    );
    await dataSource.query(
      `INSERT INTO team_day_rollups (team_id, day, messages, human_messages, thread_replies, threads_started, reactions, channels, members)
       VALUES ($2, $1, 5, 5, 0, 0, 0, B'1', B'0'), ($3, $1, 5, 5, 0, 0, 0, B'1', B'0')`,
      [today, TEAM, OTHER_TEAM],
    );
    // Only the first workspace by id is warmed.
    api = await startApiHarness(database.url, TIMEZONE, { CACHE_WARM_WORKSPACES: '1' });
  });

  afterAll(async () => {
    await api?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it("computes the opening view's answers before anyone asks, for as many workspaces as configured", async () => {
    // A first question connects the listener even without the warm-up.
    await summaryOf(TEAM);
    await waitFor(async () => {
      const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM pg_stat_activity WHERE query = $1`, [
        `LISTEN ${ROLLUPS_CHANGED_CHANNEL}`,
      ]);
      return count > 0 ? true : undefined;
    }, 5000);
    let announced = 5;
    await waitFor(async () => {
      // Announce a change, give the warm-up its moment, then change the rollups behind the cache's back:
      // an answer computed before the question keeps the announced number.
      announced += 1;
      await setMessages(announced);
      await dataSource.query(`SELECT pg_notify('${ROLLUPS_CHANGED_CHANNEL}', 'test')`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await setMessages(1000);
      return (await summaryOf(TEAM)) === announced ? true : undefined;
    }, 20_000);
    // The second workspace is past CACHE_WARM_WORKSPACES: its first reader computes it.
    expect(await summaryOf(OTHER_TEAM)).toBe(1000);
  });
});
