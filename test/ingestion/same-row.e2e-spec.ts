import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { FakeMessage, FakeSlackData, FakeSlackServer } from '../support/fake-slack-server';
import { runWorker, temporaryDirectory } from '../support/processes';
import { createSlackExportFixture, ExportFixtureOptions, writeExportZip } from '../support/slack-export-fixture';
import { byChannelAndTs, storedMessageRows } from './expected-rows';

const TOKEN = 'xoxb-same-row-test-token';
const FIXTURE: ExportFixtureOptions = {
  seed: 11,
  days: 3,
  messagesPerDay: 8,
  publicChannels: 2,
  privateChannels: 1,
  directMessages: 0,
  multiPartyDirectMessages: 0,
};

/** The fixture's workspace as the Web API shows it: history has top-level messages and broadcasts, replies the rest. */
function asWebApi(): FakeSlackData {
  const fixture = createSlackExportFixture(FIXTURE);
  const data: FakeSlackData = {
    team: { id: fixture.teamId, name: 'Fixture', domain: 'fixture' },
    channels: [
      ...fixture.lists['channels.json'].map((channel) => ({
        ...channel,
        is_private: false,
        is_member: true,
        num_members: channel.members.length,
      })),
      ...fixture.lists['groups.json'].map((channel) => ({
        ...channel,
        is_private: true,
        is_member: true,
        num_members: channel.members.length,
      })),
    ],
    users: fixture.users,
    history: {},
    replies: {},
  };
  for (const day of fixture.dayFiles()) {
    for (const message of day.messages as FakeMessage[]) {
      const threadTs = message.thread_ts as string | undefined;
      if (threadTs && threadTs !== message.ts) {
        const threads = (data.replies[day.channelId] ??= {});
        (threads[threadTs] ??= []).push(message);
        if (message.subtype !== 'thread_broadcast') continue;
      }
      (data.history[day.channelId] ??= []).push(message);
    }
  }
  return data;
}

describe('one store for every source', () => {
  const databases: TestDatabase[] = [];
  const dataSources: DataSource[] = [];
  let directory: string;

  beforeAll(() => {
    directory = temporaryDirectory('slack-same-row');
  });

  afterAll(async () => {
    for (const dataSource of dataSources) await dataSource.destroy();
    for (const database of databases) await database.drop();
    await rm(directory, { recursive: true, force: true });
  });

  async function freshDatabase(): Promise<{ url: string; dataSource: DataSource }> {
    const database = await createTestDatabase('same_row');
    databases.push(database);
    const dataSource = await migratedDataSource(database);
    dataSources.push(dataSource);
    return { url: database.url, dataSource };
  }

  it('stores the same rows from an export as from the Web API', async () => {
    const imported = await freshDatabase();
    const zip = join(directory, 'export.zip');
    await writeExportZip(createSlackExportFixture(FIXTURE), zip);
    expect((await runWorker(['import', zip], { DATABASE_URL: imported.url })).code).toBe(0);

    const collected = await freshDatabase();
    const slack = await FakeSlackServer.start(asWebApi(), { token: TOKEN, pageSize: 50 });
    try {
      const run = await runWorker(['collect'], { DATABASE_URL: collected.url, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url });
      expect(run.code).toBe(0);
    } finally {
      await slack.close();
    }

    const fromImport = (await storedMessageRows(imported.dataSource)).sort(byChannelAndTs);
    const fromCollector = (await storedMessageRows(collected.dataSource)).sort(byChannelAndTs);
    expect(fromImport.length).toBeGreaterThan(100);
    expect(fromCollector).toEqual(fromImport);
  });
});
