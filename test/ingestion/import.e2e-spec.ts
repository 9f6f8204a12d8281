import { mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { runWorker, temporaryDirectory } from '../support/processes';
import { createSlackExportFixture, ExportFixtureOptions, FixtureMessage, writeExportDirectory, writeExportZip } from '../support/slack-export-fixture';
import { byChannelAndTs, expectedMessageRow, MessageRow, storedMessageRows } from './expected-rows';

const FIXTURE: ExportFixtureOptions = { seed: 42, days: 4, messagesPerDay: 10 };

function expectedRows(options: ExportFixtureOptions, storeText: boolean): MessageRow[] {
  const fixture = createSlackExportFixture(options);
  const rows: MessageRow[] = [];
  for (const day of fixture.dayFiles()) {
    for (const message of day.messages) rows.push(expectedMessageRow(message, { teamId: fixture.teamId, channelId: day.channelId, storeText }));
  }
  return rows.sort(byChannelAndTs);
}

describe('worker import', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let workDirectory: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('import');
    dataSource = await migratedDataSource(database);
    workDirectory = temporaryDirectory('slack-import');
    env = { DATABASE_URL: database.url };
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
    await rm(workDirectory, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE workspaces, channels, users, messages');
  });

  async function rows(): Promise<MessageRow[]> {
    return (await storedMessageRows(dataSource)).sort(byChannelAndTs);
  }

  async function tableCounts(): Promise<Record<string, number>> {
    const [counts] = await dataSource.query(
      `SELECT (SELECT count(*)::int FROM workspaces) AS workspaces, (SELECT count(*)::int FROM channels) AS channels,
              (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM messages) AS messages`,
    );
    return counts;
  }

  it('stores every message of a ZIP export exactly, without text, and a second import changes no row', async () => {
    const zipPath = join(workDirectory, 'export.zip');
    const written = await writeExportZip(createSlackExportFixture(FIXTURE), zipPath);

    const first = await runWorker(['import', zipPath], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const expected = expectedRows(FIXTURE, false);
    expect(expected).toHaveLength(written);
    const stored = await rows();
    expect(stored).toEqual(expected);
    expect(stored.every((row) => row.text === null)).toBe(true);
    // The fixture has each kind of message the importer must carry over.
    expect(stored.some((row) => row.thread_ts !== null && row.thread_ts !== row.ts)).toBe(true);
    expect(stored.some((row) => row.reply_count > 0 && row.latest_reply_ts !== null)).toBe(true);
    expect(stored.some((row) => row.subtype === 'bot_message' && row.is_bot)).toBe(true);
    expect(stored.some((row) => row.subtype === 'thread_broadcast')).toBe(true);
    expect(stored.some((row) => row.file_count > 0 && row.subtype === 'file_share')).toBe(true);
    expect(stored.some((row) => row.edited_at !== null)).toBe(true);
    expect(stored.some((row) => row.reactors.length > 1)).toBe(true);
    expect(first.stdout).toContain(`messages read:      ${written}`);
    expect(first.stdout).toContain(`messages stored:    ${written} (new or changed)`);
    expect(first.stdout).toContain('skipped:            none');

    expect(await dataSource.query(`SELECT id, name, kind, is_private, is_archived, member_count FROM channels ORDER BY id`)).toEqual([
      { id: 'C00000001', name: 'general', kind: 'public', is_private: false, is_archived: false, member_count: 5 },
      { id: 'C00000002', name: 'topic-1', kind: 'public', is_private: false, is_archived: false, member_count: 4 },
      { id: 'C00000003', name: 'topic-2', kind: 'public', is_private: false, is_archived: true, member_count: 4 },
      { id: 'D00000001', name: null, kind: 'im', is_private: true, is_archived: false, member_count: 2 },
      { id: 'G00000001', name: 'private-1', kind: 'private', is_private: true, is_archived: false, member_count: 3 },
      { id: 'G90000001', name: expect.stringMatching(/^mpdm-/), kind: 'mpim', is_private: true, is_archived: false, member_count: 3 },
    ]);
    const users = await dataSource.query(`SELECT id, team_id, is_bot, is_deleted FROM users ORDER BY id`);
    expect(users).toHaveLength(9);
    expect(users).toEqual(
      expect.arrayContaining([
        { id: 'U0000006', team_id: 'T0FIXTURE', is_bot: false, is_deleted: true },
        { id: 'UB000001', team_id: 'T0FIXTURE', is_bot: true, is_deleted: false },
        { id: 'USLACKBOT', team_id: 'T0FIXTURE', is_bot: false, is_deleted: false },
      ]),
    );
    expect(await dataSource.query(`SELECT id FROM workspaces`)).toEqual([{ id: 'T0FIXTURE' }]);

    const updatedBefore = await dataSource.query(`SELECT channel_id, ts, updated_at FROM messages ORDER BY channel_id, ts`);
    const second = await runWorker(['import', zipPath], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('messages stored:    0 (new or changed)');
    expect(second.stdout).toContain(`messages unchanged: ${written}`);
    expect(await rows()).toEqual(expected);
    expect(await dataSource.query(`SELECT channel_id, ts, updated_at FROM messages ORDER BY channel_id, ts`)).toEqual(updatedBefore);
  });

  it('reads an unpacked directory with folders named by id, and keeps text when STORE_MESSAGE_TEXT=true', async () => {
    const options: ExportFixtureOptions = { ...FIXTURE, seed: 7, folderNames: 'id' };
    const directory = join(workDirectory, 'by-id');
    await writeExportDirectory(createSlackExportFixture(options), directory);

    const result = await runWorker(['import', directory], { ...env, STORE_MESSAGE_TEXT: 'true' });
    expect(result.code).toBe(0);
    const stored = await rows();
    expect(stored).toEqual(expectedRows(options, true));
    expect(stored.filter((row) => row.text !== null).length).toBeGreaterThan(stored.length / 2);
  });

  it('skips messages it cannot use and says why', async () => {
    const directory = join(workDirectory, 'with-junk');
    const fixture = createSlackExportFixture({ ...FIXTURE, seed: 3, days: 1 });
    const total = await writeExportDirectory(fixture, directory);
    const dayFile = join(directory, 'general', '2024-03-04.json');
    const messages: unknown[] = JSON.parse(await readFile(dayFile, 'utf8'));
    messages.push({ type: 'message', text: 'no ts' }, { type: 'message', ts: 'yesterday' }, 'not an object', null);
    await writeFile(dayFile, JSON.stringify(messages));
    await writeFile(join(directory, 'general', 'notes.txt'), 'not part of the export format');

    const result = await runWorker(['import', directory], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`messages read:      ${total + 4}`);
    expect(result.stdout).toContain('skipped:            2 no valid ts, 1 not a day file, 2 not a message object');
    expect((await tableCounts()).messages).toBe(total);
  });

  it('takes time from each message ts, not from the day file name', async () => {
    const directory = join(workDirectory, 'misfiled');
    const fixture = createSlackExportFixture({ ...FIXTURE, seed: 5, days: 1, publicChannels: 1, privateChannels: 0, directMessages: 0, multiPartyDirectMessages: 0 });
    await writeExportDirectory(fixture, directory);
    const misfiled: FixtureMessage = { type: 'message', ts: '1600000000.000100', user: 'U0000001', text: 'posted in 2020' };
    await writeFile(join(directory, 'general', '2024-03-05.json'), JSON.stringify([misfiled]));

    expect((await runWorker(['import', directory], env)).code).toBe(0);
    const [row] = await dataSource.query(`SELECT to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS posted FROM messages WHERE ts = $1`, [misfiled.ts]);
    expect(row).toEqual({ posted: '2020-09-13 12:26:40' });
  });

  describe('refuses bad input with a message naming the file, and stores nothing', () => {
    async function expectRefused(path: string, message: RegExp, options: string[] = []): Promise<void> {
      const result = await runWorker(['import', path, ...options], env);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(message);
      expect(result.stdout + result.stderr).toContain('nothing was stored');
      expect(await tableCounts()).toEqual({ workspaces: 0, channels: 0, users: 0, messages: 0 });
    }

    it('a file that is not a ZIP', async () => {
      const path = join(workDirectory, 'not-a-zip.zip');
      await writeFile(path, 'this is plain text, not an archive\n'.repeat(100));
      await expectRefused(path, /not-a-zip\.zip: not a readable ZIP archive/);
    });

    it('a truncated ZIP', async () => {
      const path = join(workDirectory, 'truncated.zip');
      await writeExportZip(createSlackExportFixture(FIXTURE), path);
      await truncate(path, Math.floor((await stat(path)).size / 2));
      await expectRefused(path, /truncated\.zip: not a readable ZIP archive \(truncated or not a ZIP at all\)/);
    });

    it('a day file that is not JSON, after valid ones were already written', async () => {
      const directory = join(workDirectory, 'broken-day');
      await writeExportDirectory(createSlackExportFixture(FIXTURE), directory);
      // Sorted after every other folder, so the import has merged earlier batches when it meets this file.
      await mkdir(join(directory, 'topic-2'), { recursive: true });
      await writeFile(join(directory, 'topic-2', '2024-03-07.json'), '[{"type": "message", "ts": "1709798400.000100"');
      await expectRefused(directory, /broken-day: topic-2\/2024-03-07\.json is not valid JSON/, ['--batch-size', '50']);
    });

    it('a folder no channel matches', async () => {
      const directory = join(workDirectory, 'stray-folder');
      await writeExportDirectory(createSlackExportFixture(FIXTURE), directory);
      await mkdir(join(directory, 'no-such-channel'));
      await writeFile(join(directory, 'no-such-channel', '2024-03-04.json'), '[]');
      await expectRefused(directory, /folder no-such-channel\/ \(no-such-channel\/2024-03-04\.json\) matches no channel/);
    });
  });
});
