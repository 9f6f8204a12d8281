import type { ChannelKind } from '@app/db';
import { isSlackId } from '@app/slack';
import type { SlackChannel, SlackMessage, SlackUser } from '@app/slack';
import { posix } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { ChannelRecord, channelRecord, MessageProblem, readMessage, userRecord } from '../records';
import { ActivityStore } from '../store/activity-store';
import { MessageBatch } from '../store/message-batch';
import { directoryOf, ExportArchive, ExportError, FileContent, openExport } from './export-archive';
import { JsonArrayError, JsonArrayReader } from './json-array';

/** The export's channel lists and the kind of conversation each holds. */
const CHANNEL_LISTS: [file: string, kind: ChannelKind][] = [
  ['channels.json', 'public'],
  ['groups.json', 'private'],
  ['mpims.json', 'mpim'],
  ['dms.json', 'im'],
];
const USERS_FILE = 'users.json';
const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.json$/;

/** Messages written per COPY + merge; bounds memory (two batches in flight) while keeping statements few. */
export const DEFAULT_IMPORT_BATCH_SIZE = 10_000;

export type ImportSkipReason = 'not a message object' | MessageProblem | 'not a day file' | 'user or channel without a valid id';

export interface ImportOptions {
  storeText: boolean;
  /** The workspace id; by default the team_id most users in users.json carry. */
  teamId?: string;
  batchSize?: number;
  /** The most bytes one file of the export may hold, uncompressed. */
  maxFileBytes: number;
  /** Called after each day file. */
  onProgress?: (progress: { filesDone: number; filesTotal: number; messagesRead: number }) => void;
}

export interface ImportSummary {
  teamId: string;
  channels: number;
  users: number;
  dayFiles: number;
  messagesRead: number;
  /** Inserted, or changed from what was stored. */
  messagesStored: number;
  /** Already stored exactly so (a re-import), or repeated within the export. */
  messagesUnchanged: number;
  skipped: Partial<Record<ImportSkipReason, number>>;
}

interface DayFile {
  path: string;
  channel: ChannelRecord;
}

/**
 * Imports a Slack workspace export (ZIP or directory) in one transaction:
 * either all of it is stored or, on any bad file, none of it. Files are read
 * one at a time, a large one in chunks, and messages written in batches, so
 * memory depends on the batch size, not on the size of the export or of its
 * largest file. Time comes from each message's ts, never from the day file's
 * name.
 */
export async function importSlackExport(dataSource: DataSource, path: string, options: ImportOptions): Promise<ImportSummary> {
  const archive = await openExport(path, { maxFileBytes: options.maxFileBytes });
  try {
    return await importArchive(dataSource, archive, options);
  } finally {
    await archive.close();
  }
}

async function importArchive(dataSource: DataSource, archive: ExportArchive, options: ImportOptions): Promise<ImportSummary> {
  const root = exportRoot(archive);
  const users = await readUsers(archive, root);
  const identified = users.filter((user): user is SlackUser & { id: string } => isSlackId((user as SlackUser | null)?.id));
  const teamId = options.teamId ?? mostCommonTeam(identified);
  if (!teamId) throw new ExportError(`${archive.name}: cannot tell the workspace: ${USERS_FILE} names no valid team_id; pass --team-id`);
  const userRecords = identified.map((user) => userRecord(user, teamId));
  const { channels, unidentified } = await readChannels(archive, root, teamId);
  const { dayFiles, skippedFiles } = planDayFiles(archive, root, channels);
  const skippedEntries = users.length - identified.length + unidentified;

  const summary: ImportSummary = {
    teamId,
    channels: channels.length,
    users: userRecords.length,
    dayFiles: dayFiles.length,
    messagesRead: 0,
    messagesStored: 0,
    messagesUnchanged: 0,
    skipped: {},
  };
  if (skippedFiles > 0) summary.skipped['not a day file'] = skippedFiles;
  if (skippedEntries > 0) summary.skipped['user or channel without a valid id'] = skippedEntries;
  const skip = (reason: ImportSkipReason) => (summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1);
  const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE;

  await ActivityStore.transaction(dataSource, async (store) => {
    await store.ensureWorkspace(teamId);
    await store.upsertChannels(channels);
    await store.upsertUsers(userRecords);

    let batch = new MessageBatch('import');
    let accepted = 0;
    // The previous batch is merged while the next one is parsed; one statement at a time on the connection.
    let writing: Promise<number> = Promise.resolve(0);
    const flush = async () => {
      summary.messagesStored += await writing;
      const full = batch;
      batch = new MessageBatch('import');
      writing = store.upsertMessages(full, { mostlyNew: true });
      // Its failure is seen at the next await of `writing`; until then it must not count as unhandled.
      writing.catch(() => undefined);
    };

    try {
      const channelOf = new Map(dayFiles.map((day) => [day.path, day.channel]));
      let filesDone = 0;
      for await (const { file, content } of archive.readEach(dayFiles.map((day) => day.path))) {
        const context = { teamId, channelId: (channelOf.get(file) as ChannelRecord).id, storeText: options.storeText };
        for await (const messages of jsonArrayElements(archive, file, content)) {
          for (const message of messages) {
            summary.messagesRead++;
            if (typeof message !== 'object' || message === null || Array.isArray(message)) {
              skip('not a message object');
              continue;
            }
            const record = readMessage(message as SlackMessage, context);
            if (typeof record === 'string') {
              skip(record);
              continue;
            }
            accepted++;
            batch.add(record);
          }
          // Within a file too: a large day file is read in chunks, and its messages go out batch by batch.
          if (batch.size >= batchSize) await flush();
        }
        // Reads from the archive's buffer resolve without a trip through the event loop; this gives the
        // database connection its turn, so the batch in flight proceeds while the next one is parsed.
        await setImmediate();
        options.onProgress?.({ filesDone: ++filesDone, filesTotal: dayFiles.length, messagesRead: summary.messagesRead });
      }
      await flush();
      summary.messagesStored += await writing;
    } catch (error) {
      // Let the statement in flight finish before the transaction is rolled back.
      await writing.catch(() => undefined);
      throw error;
    }
    summary.messagesUnchanged = accepted - summary.messagesStored;
  });
  return summary;
}

/** The folder holding users.json/channels.json: the archive root, or the one folder some tools wrap it in. */
function exportRoot(archive: ExportArchive): string {
  const candidates = archive.files
    .filter((file) => [USERS_FILE, ...CHANNEL_LISTS.map(([name]) => name)].includes(posix.basename(file)))
    .map(directoryOf)
    .sort((left, right) => left.split('/').length - right.split('/').length || left.localeCompare(right));
  if (candidates.length === 0) throw new ExportError(`${archive.name}: not a Slack export: no ${USERS_FILE} or channels.json found`);
  return candidates[0];
}

function inRoot(root: string, name: string): string {
  return root === '' ? name : `${root}/${name}`;
}

async function readJsonArray(archive: ExportArchive, file: string): Promise<unknown[]> {
  const elements: unknown[] = [];
  for await (const group of jsonArrayElements(archive, file, await archive.read(file))) for (const element of group) elements.push(element);
  return elements;
}

/** The elements of a file holding a JSON array, a group at a time; a syntax error names the file and the byte. */
async function* jsonArrayElements(archive: ExportArchive, file: string, content: FileContent): AsyncGenerator<unknown[]> {
  try {
    if (Buffer.isBuffer(content)) {
      yield JsonArrayReader.parseWhole(content);
      return;
    }
    const reader = new JsonArrayReader();
    for await (const chunk of content) yield reader.push(chunk);
    reader.end();
  } catch (error) {
    throw error instanceof JsonArrayError ? new ExportError(`${archive.name}: ${file} ${error.message}`) : error;
  }
}

/** Every entry of users.json, whatever it is. */
async function readUsers(archive: ExportArchive, root: string): Promise<unknown[]> {
  const file = inRoot(root, USERS_FILE);
  return archive.files.includes(file) ? readJsonArray(archive, file) : [];
}

function mostCommonTeam(users: SlackUser[]): string | undefined {
  const counts = new Map<string, number>();
  for (const user of users) if (isSlackId(user.team_id)) counts.set(user.team_id, (counts.get(user.team_id) ?? 0) + 1);
  return [...counts.entries()].sort((left, right) => right[1] - left[1] || left[0].localeCompare(right[0]))[0]?.[0];
}

/** The channels of every list, and how many entries had no valid id. */
async function readChannels(
  archive: ExportArchive,
  root: string,
  teamId: string,
): Promise<{ channels: ChannelRecord[]; unidentified: number }> {
  const channels = new Map<string, ChannelRecord>();
  let unidentified = 0;
  for (const [name, kind] of CHANNEL_LISTS) {
    const file = inRoot(root, name);
    if (!archive.files.includes(file)) continue;
    for (const channel of await readJsonArray(archive, file)) {
      const entry = channel as SlackChannel | null;
      if (!isSlackId(entry?.id)) {
        unidentified++;
        continue;
      }
      channels.set(entry.id, channelRecord({ ...entry, id: entry.id }, teamId, kind));
    }
  }
  return { channels: [...channels.values()], unidentified };
}

/**
 * Every day file with the channel its folder names (by name, or by id as
 * some tools and DM folders do). A folder no channel matches stops the import
 * before anything is written.
 */
function planDayFiles(archive: ExportArchive, root: string, channels: ChannelRecord[]): { dayFiles: DayFile[]; skippedFiles: number } {
  const byFolder = new Map<string, ChannelRecord[]>();
  const addFolder = (folder: string, channel: ChannelRecord) => {
    const matching = byFolder.get(folder) ?? [];
    if (!matching.includes(channel)) byFolder.set(folder, [...matching, channel]);
  };
  for (const channel of channels) {
    addFolder(channel.id, channel);
    if (channel.name) addFolder(channel.name, channel);
  }
  const dayFiles: DayFile[] = [];
  let skippedFiles = 0;
  const prefix = root === '' ? '' : `${root}/`;
  for (const file of archive.files) {
    if (!file.startsWith(prefix)) continue;
    const relativePath = file.slice(prefix.length);
    const parts = relativePath.split('/');
    if (parts.length === 1) continue;
    if (parts.length !== 2 || !DAY_FILE.test(parts[1])) {
      skippedFiles++;
      continue;
    }
    const matching = byFolder.get(parts[0]);
    if (!matching)
      throw new ExportError(
        `${archive.name}: folder ${parts[0]}/ (${file}) matches no channel in channels.json, groups.json, mpims.json or dms.json`,
      );
    if (matching.length > 1) {
      // Taking either would store the folder's messages under an id chosen by list order, and another export may choose the other.
      const named = matching
        .map((channel) => `${channel.id} (${channel.name === null ? 'no name' : `named ${channel.name}`})`)
        .join(' and ');
      throw new ExportError(
        `${archive.name}: folder ${parts[0]}/ (${file}) matches more than one channel: ${named}; name the folders by channel id, or give the channels distinct names`,
      );
    }
    dayFiles.push({ path: file, channel: matching[0] });
  }
  return { dayFiles, skippedFiles };
}
