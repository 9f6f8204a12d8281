import { mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { runWorker, temporaryDirectory } from '../support/processes';
import {
  createSlackExportFixture,
  ExportFixtureOptions,
  FixtureMessage,
  PARTNER_TEAM_ID,
  SlackExportFixture,
  writeExportDirectory,
  writeExportZip,
} from '../support/slack-export-fixture';
import { generatedStream, patchEntry, repeatedDeflate, zipOf, ZipFileSpec } from '../support/zip-patch';
import { byChannelAndTs, expectedMessageRow, MessageRow, storedMessageRows } from './expected-rows';

const FIXTURE: ExportFixtureOptions = { seed: 42, days: 4, messagesPerDay: 10 };
const MIB = 1024 * 1024;
const FIRST_DAY = 'general/2024-03-04.json';

/** The fixture's users and channel lists, and the given day files, as ZIP entries. */
function exportEntries(fixture: SlackExportFixture, dayFiles: ZipFileSpec[]): ZipFileSpec[] {
  const lists = [['users.json', fixture.users], ...Object.entries(fixture.lists)] as const;
  return [...lists.map(([name, content]) => ({ name, content: Buffer.from(JSON.stringify(content)) })), ...dayFiles];
}

/** `count` distinct messages in one day file, each carrying `textBytes` of text, as a stream of JSON. */
function largeDayFile(count: number, textBytes: number): ZipFileSpec['content'] {
  const text = 'lorem ipsum '.repeat(Math.ceil(textBytes / 12)).slice(0, textBytes);
  return generatedStream(count + 2, (index) => {
    if (index === 0) return Buffer.from('[\n');
    if (index === count + 1) return Buffer.from(']\n');
    const message = { type: 'message', ts: `${1709510400 + index}.000100`, user: 'U0000001', text };
    return Buffer.from(`${index > 1 ? ',\n' : ''}    ${JSON.stringify(message)}`);
  });
}

function expectedRows(options: ExportFixtureOptions, storeText: boolean): MessageRow[] {
  const fixture = createSlackExportFixture(options);
  const rows: MessageRow[] = [];
  for (const day of fixture.dayFiles()) {
    for (const message of day.messages)
      rows.push(expectedMessageRow(message, { teamId: fixture.teamId, channelId: day.channelId, storeText }));
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
    expect(stored.filter((row) => row.author_team_id === PARTNER_TEAM_ID).map((row) => row.user_id)).toEqual(
      Array(FIXTURE.days).fill('U0PARTNER1'),
    );
    expect(stored.some((row) => row.author_team_id === 'T0FIXTURE')).toBe(true);
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
    expect(users).toHaveLength(10);
    expect(users).toEqual(
      expect.arrayContaining([
        { id: 'U0000006', team_id: 'T0FIXTURE', is_bot: false, is_deleted: true },
        { id: 'UB000001', team_id: 'T0FIXTURE', is_bot: true, is_deleted: false },
        { id: 'USLACKBOT', team_id: 'T0FIXTURE', is_bot: false, is_deleted: false },
      ]),
    );
    const audienceQuery = `SELECT id, team_id, is_restricted, is_ultra_restricted, tz, xmin::text AS row_version FROM users
      WHERE id IN ('U0000001', 'U0000002', 'U0000003', 'U0PARTNER1') ORDER BY id`;
    const audience = await dataSource.query(audienceQuery);
    expect(audience.map(({ row_version: _version, ...user }: Record<string, unknown>) => user)).toEqual([
      { id: 'U0000001', team_id: 'T0FIXTURE', is_restricted: false, is_ultra_restricted: false, tz: 'Europe/Paris' },
      { id: 'U0000002', team_id: 'T0FIXTURE', is_restricted: true, is_ultra_restricted: false, tz: 'Europe/Paris' },
      { id: 'U0000003', team_id: 'T0FIXTURE', is_restricted: true, is_ultra_restricted: true, tz: 'Europe/Paris' },
      { id: 'U0PARTNER1', team_id: PARTNER_TEAM_ID, is_restricted: false, is_ultra_restricted: false, tz: 'Asia/Tokyo' },
    ]);
    expect(await dataSource.query(`SELECT id FROM workspaces`)).toEqual([{ id: 'T0FIXTURE' }]);

    const updatedBefore = await dataSource.query(`SELECT channel_id, ts, updated_at FROM messages ORDER BY channel_id, ts`);
    const second = await runWorker(['import', zipPath], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('messages stored:    0 (new or changed)');
    expect(second.stdout).toContain(`messages unchanged: ${written}`);
    expect(await rows()).toEqual(expected);
    expect(await dataSource.query(`SELECT channel_id, ts, updated_at FROM messages ORDER BY channel_id, ts`)).toEqual(updatedBefore);
    // Not rewritten at all: the same row version.
    expect(await dataSource.query(audienceQuery)).toEqual(audience);
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

  it('stores what can be stored of poison values, skips and counts the rest, and names no stack', async () => {
    const directory = join(workDirectory, 'poison');
    const fixture = createSlackExportFixture({ ...FIXTURE, seed: 11, days: 1 });
    const total = await writeExportDirectory(fixture, directory);
    const dayFile = join(directory, FIRST_DAY);
    const messages: unknown[] = JSON.parse(await readFile(dayFile, 'utf8'));
    const base = { type: 'message', user: 'U0000001' };
    messages.push(
      { ...base, ts: '12345678901234567890.000100' },
      { ...base, ts: '253402300800.000100' },
      { ...base, ts: '1709510401.000100', reply_count: 3e9, subtype: 'bot\u0000message' },
      {
        ...base,
        ts: '1709510402.000100',
        reactions: [
          { name: 'tada', count: 1e12 },
          { name: 'eyes', count: 2e9 },
          { name: 'joy', count: 2e9 },
        ],
      },
      { ...base, ts: '1709510403.000100', user: '\u0000' },
      { ...base, ts: '1709510404.000100', user: `U${'x'.repeat(100_000)}` },
      { ...base, ts: '1709510405.000100', user_team: `T${'x'.repeat(100)}`, source_team: '\u0000' },
    );
    await writeFile(dayFile, JSON.stringify(messages));
    const users = [
      ...fixture.users,
      {
        id: 'U0POISON1',
        team_id: fixture.teamId,
        name: 'nul\u0000name',
        real_name: ['not', 'a', 'name'],
        is_restricted: 'true',
        is_ultra_restricted: 1,
        tz: 'Europe/Nowhere',
      },
      { id: 'U0POISON2', team_id: 'T0\u0000OTHER', tz: `Europe/${'x'.repeat(100_000)}` },
      { id: 'U'.repeat(100_000) },
    ];
    await writeFile(join(directory, 'users.json'), JSON.stringify(users));
    const [general, ...channels] = fixture.lists['channels.json'];
    const poisoned = [
      { ...general, created: 1e300, num_members: -5 },
      ...channels,
      { id: 'C0POISON1', name: 'a\u0000b', num_members: 1.5, created: 1709510400 },
    ];
    await writeFile(join(directory, 'channels.json'), JSON.stringify(poisoned));

    const result = await runWorker(['import', directory], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`messages read:      ${total + 7}`);
    expect(result.stdout).toContain('skipped:            2 invalid id, 2 no valid ts, 1 user or channel without a valid id');
    expect((await tableCounts()).messages).toBe(total + 3);
    const stored = await dataSource.query(
      `SELECT ts, reply_count, subtype, reaction_count, author_team_id FROM messages
       WHERE ts IN ('1709510401.000100', '1709510402.000100', '1709510405.000100') ORDER BY ts`,
    );
    expect(stored).toEqual([
      { ts: '1709510401.000100', reply_count: 2_147_483_647, subtype: 'botmessage', reaction_count: 0, author_team_id: null },
      { ts: '1709510402.000100', reply_count: 0, subtype: null, reaction_count: 2_147_483_647, author_team_id: null },
      // An author team that is no Slack id is unknown; the message is kept.
      { ts: '1709510405.000100', reply_count: 0, subtype: null, reaction_count: 0, author_team_id: null },
    ]);
    expect(
      await dataSource.query(
        `SELECT id, team_id, name, real_name, is_restricted, is_ultra_restricted, tz FROM users WHERE id LIKE 'U0POISON%' ORDER BY id`,
      ),
    ).toEqual([
      {
        id: 'U0POISON1',
        team_id: fixture.teamId,
        name: 'nulname',
        real_name: null,
        is_restricted: null,
        is_ultra_restricted: null,
        tz: null,
      },
      { id: 'U0POISON2', team_id: fixture.teamId, name: null, real_name: null, is_restricted: null, is_ultra_restricted: null, tz: null },
    ]);
    expect(
      await dataSource.query(`SELECT id, name, created, member_count FROM channels WHERE id IN ($1, 'C0POISON1') ORDER BY id`, [
        general.id,
      ]),
    ).toEqual([
      { id: general.id, name: 'general', created: null, member_count: general.members.length },
      { id: 'C0POISON1', name: 'ab', created: new Date('2024-03-04T00:00:00Z'), member_count: null },
    ]);
  });

  it('takes time from each message ts, not from the day file name', async () => {
    const directory = join(workDirectory, 'misfiled');
    const fixture = createSlackExportFixture({
      ...FIXTURE,
      seed: 5,
      days: 1,
      publicChannels: 1,
      privateChannels: 0,
      directMessages: 0,
      multiPartyDirectMessages: 0,
    });
    await writeExportDirectory(fixture, directory);
    const misfiled: FixtureMessage = { type: 'message', ts: '1600000000.000100', user: 'U0000001', text: 'posted in 2020' };
    await writeFile(join(directory, 'general', '2024-03-05.json'), JSON.stringify([misfiled]));

    expect((await runWorker(['import', directory], env)).code).toBe(0);
    const [row] = await dataSource.query(
      `SELECT to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS posted FROM messages WHERE ts = $1`,
      [misfiled.ts],
    );
    expect(row).toEqual({ posted: '2020-09-13 12:26:40' });
  });

  it('reads a day file of 200 MB in chunks, its memory bounded by the batch, not the file', async () => {
    const fixture = createSlackExportFixture(FIXTURE);
    const count = 25_000;
    const zipPath = join(workDirectory, 'large-day.zip');
    await writeFile(zipPath, await zipOf(exportEntries(fixture, [{ name: FIRST_DAY, content: largeDayFile(count, 8000) }])));
    const result = await runWorker(['import', zipPath], env, 180_000);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`messages stored:    ${count} (new or changed)`);
    // Parsed whole, this file took about 1 GiB.
    expect(result.peakRssMib).toBeLessThan(400);

    // The same, smaller, from a directory: read in chunks too once past 4 MiB.
    await dataSource.query('TRUNCATE workspaces, channels, users, messages');
    const directory = join(workDirectory, 'large-day');
    await writeExportDirectory(createSlackExportFixture({ ...FIXTURE, days: 1 }), directory);
    const chunks: Buffer[] = [];
    for await (const chunk of largeDayFile(3000, 4000) as AsyncIterable<Buffer>) chunks.push(chunk);
    await writeFile(join(directory, FIRST_DAY), Buffer.concat(chunks));
    const fromDirectory = await runWorker(['import', directory], env);
    expect(fromDirectory.code).toBe(0);
    const [{ count: stored }] = await dataSource.query(
      `SELECT count(*)::int AS count FROM messages WHERE channel_id = 'C00000001' AND text IS NULL`,
    );
    expect(stored).toBe(3000);
  });

  describe('refuses bad input with a message naming the file, and stores nothing', () => {
    async function expectRefused(path: string, message: RegExp, options: string[] = []): Promise<void> {
      const result = await runWorker(['import', path, ...options], env);
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
      expect(result.stdout + result.stderr).toMatch(message);
      expect(result.stdout + result.stderr).toContain('nothing was stored');
      // A message for the person who ran the import, not a stack trace.
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
      expect(await tableCounts()).toEqual({ workspaces: 0, channels: 0, users: 0, messages: 0 });
    }

    /** The fixture as a ZIP, with `patch` applied to its bytes. */
    async function patchedZip(name: string, patch: (zip: Buffer) => void, zip64 = false): Promise<string> {
      const fixture = createSlackExportFixture(FIXTURE);
      const dayFiles = [...fixture.dayFiles()].map((day) => ({
        name: day.path,
        content: Buffer.from(JSON.stringify(day.messages)),
        zip64,
      }));
      const zip = await zipOf(exportEntries(fixture, dayFiles));
      patch(zip);
      const path = join(workDirectory, name);
      await writeFile(path, zip);
      return path;
    }

    /** An export whose first day file is `data`, deflated, declaring `uncompressedSize`. */
    async function zipWithDeflatedDay(name: string, data: Buffer, uncompressedSize: number): Promise<string> {
      const fixture = createSlackExportFixture(FIXTURE);
      const zip = await zipOf(exportEntries(fixture, [{ name: FIRST_DAY, content: data, stored: true, zip64: true }]));
      patchEntry(zip, FIRST_DAY, { compressionMethod: 8, uncompressedSize });
      const path = join(workDirectory, name);
      await writeFile(path, zip);
      return path;
    }

    it('a central-directory size far past the end of the file', async () => {
      const path = await patchedZip('forged-size.zip', (zip) => patchEntry(zip, FIRST_DAY, { compressedSize: 0xfffffff0 }));
      await expectRefused(
        path,
        /forged-size\.zip: damaged ZIP directory: general\/2024-03-04\.json lies past the end of the file \(4294967280 bytes at offset/,
      );
    });

    it('a ZIP64 size of 2^45 bytes', async () => {
      const path = await patchedZip('forged-zip64.zip', (zip) => patchEntry(zip, FIRST_DAY, { compressedSize: 2 ** 45 }), true);
      await expectRefused(
        path,
        /forged-zip64\.zip: damaged ZIP directory: general\/2024-03-04\.json lies past the end of the file \(35184372088832 bytes/,
      );
    });

    it('entries that overlap, and two entries of one name', async () => {
      const overlapping = await patchedZip('overlapping.zip', (zip) =>
        patchEntry(zip, 'general/2024-03-05.json', { localHeaderOffset: 0 }),
      );
      await expectRefused(overlapping, /overlapping\.zip: damaged ZIP directory: \S+ overlaps \S+/);

      const fixture = createSlackExportFixture(FIXTURE);
      const twice = join(workDirectory, 'twice.zip');
      const day = { name: FIRST_DAY, content: Buffer.from('[]') };
      await writeFile(twice, await zipOf(exportEntries(fixture, [day, day])));
      await expectRefused(twice, /twice\.zip: damaged ZIP directory: two entries are named general\/2024-03-04\.json/);
    });

    it('a ZIP bomb: 5 MiB that declare 5 GiB, refused before inflating', async () => {
      const path = await zipWithDeflatedDay('bomb-declared.zip', repeatedDeflate(Buffer.alloc(16 * MIB), 320), 5 * 1024 * MIB);
      // The refusal quotes the declared size, which only the ZIP directory holds: nothing was inflated.
      await expectRefused(
        path,
        /bomb-declared\.zip: general\/2024-03-04\.json: 5368709120 bytes, more than the limit of 1024 MiB for one file/,
      );
    });

    it('a ZIP bomb that lies about its size, stopped once it inflates past it, whole or streamed', async () => {
      // Whitespace, which may precede a JSON array: nothing but the size stops it.
      const gibibyte = repeatedDeflate(Buffer.alloc(16 * MIB, ' '), 64);
      for (const declared of [2000, 10 * MIB]) {
        const path = await zipWithDeflatedDay(`bomb-${declared}.zip`, gibibyte, declared);
        const result = await runWorker(['import', path], env);
        expect(result.code).toBe(1);
        expect(result.stdout + result.stderr).toContain(
          `general/2024-03-04.json: inflates to more than the ${declared} bytes its directory entry declares`,
        );
        expect(result.peakRssMib).toBeLessThan(400);
      }
      expect(await tableCounts()).toEqual({ workspaces: 0, channels: 0, users: 0, messages: 0 });
    });

    it('a file over the limit set by --max-file-mib or IMPORT_MAX_FILE_MIB', async () => {
      const fixture = createSlackExportFixture(FIXTURE);
      const path = join(workDirectory, 'over-limit.zip');
      await writeFile(path, await zipOf(exportEntries(fixture, [{ name: FIRST_DAY, content: largeDayFile(3000, 1000) }])));
      const refusal =
        /over-limit\.zip: general\/2024-03-04\.json: \d+ bytes, more than the limit of 2 MiB for one file \(--max-file-mib or IMPORT_MAX_FILE_MIB\)/;
      await expectRefused(path, refusal, ['--max-file-mib', '2']);
      const result = await runWorker(['import', path], { ...env, IMPORT_MAX_FILE_MIB: '2' });
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(refusal);
      const directory = join(workDirectory, 'over-limit');
      await writeExportDirectory(createSlackExportFixture({ ...FIXTURE, days: 1 }), directory);
      await writeFile(join(directory, FIRST_DAY), Buffer.alloc(3 * MIB, ' '));
      await expectRefused(directory, /over-limit: general\/2024-03-04\.json: 3145728 bytes, more than the limit of 2 MiB/, [
        '--max-file-mib',
        '2',
      ]);
      const zero = await runWorker(['import', path, '--max-file-mib', '0'], env);
      expect(zero.code).toBe(1);
      expect(zero.stdout + zero.stderr).toContain('--max-file-mib must be a whole number of MiB from 1 to 1048576');
      const unreadable = await runWorker(['import', path], { ...env, IMPORT_MAX_FILE_MIB: 'lots' });
      expect(unreadable.code).toBe(1);
      expect(unreadable.stderr).toContain('IMPORT_MAX_FILE_MIB="lots"');
      expect(await tableCounts()).toEqual({ workspaces: 0, channels: 0, users: 0, messages: 0 });
    });

    it('two channels of one name, when a folder is named by it', async () => {
      const directory = join(workDirectory, 'same-name');
      const fixture = createSlackExportFixture(FIXTURE);
      await writeExportDirectory(fixture, directory);
      const channels = [...fixture.lists['channels.json'], { ...fixture.lists['channels.json'][0], id: 'C00000099' }];
      await writeFile(join(directory, 'channels.json'), JSON.stringify(channels));
      await expectRefused(
        directory,
        /folder general\/ \(general\/2024-03-04\.json\) matches more than one channel: C00000001 \(named general\) and C00000099 \(named general\)/,
      );

      // Folders named by id leave no doubt.
      const byId = join(workDirectory, 'same-name-by-id');
      const fixtureById = createSlackExportFixture({ ...FIXTURE, folderNames: 'id' });
      await writeExportDirectory(fixtureById, byId);
      await writeFile(
        join(byId, 'channels.json'),
        JSON.stringify([...fixtureById.lists['channels.json'], { ...fixtureById.lists['channels.json'][0], id: 'C00000099' }]),
      );
      expect((await runWorker(['import', byId], env)).code).toBe(0);
    });

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
      await writeFile(
        join(directory, 'topic-2', '2024-03-07.json'),
        '[{"type": "message", "ts": "1709798400.000100", "text": "secret plans"},}]',
      );
      const result = await runWorker(['import', directory, '--batch-size', '50'], env);
      // The file and the byte, never the file's content.
      expect(result.stdout + result.stderr).toMatch(/broken-day: topic-2\/2024-03-07\.json is not valid JSON at byte 72"/);
      expect(result.stdout + result.stderr).not.toContain('secret');
      await expectRefused(directory, /is not valid JSON at byte 72/, ['--batch-size', '50']);
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
