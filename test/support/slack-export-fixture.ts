/**
 * A deterministic generator of Slack workspace exports, in the format Slack's
 * "Export data" produces: `users.json`, `channels.json`, `groups.json`,
 * `dms.json`, `mpims.json` and one folder per conversation holding one
 * `YYYY-MM-DD.json` array of messages per day (UTC).
 *
 * The same options and seed give byte-identical files. What it contains:
 * - users: humans (one of them deleted, one a multi-channel and one a
 *   single-channel guest), bot users, `USLACKBOT` (which Slack lists with
 *   `is_bot: false`), and a Slack Connect user of another workspace
 *   (`PARTNER_TEAM_ID`) who posts in the general channel;
 * - public and private channels (folders named by channel name, or by id with
 *   `folderNames: 'id'`), direct messages (folders named by id) and
 *   multi-party DMs (named `mpdm-…`);
 * - per conversation and day: `channel_join` on the first day, plain
 *   messages, `bot_message`s, Slackbot messages, `channel_topic` /
 *   `channel_purpose` changes, edits (`edited`), file shares (both the old
 *   `file_share` subtype and the modern `files` + `upload`), reactions with
 *   the users who reacted, and threads whose replies land on the same and on
 *   later days (in the day file of the reply, as Slack writes them), some of
 *   them broadcast to the channel (`thread_broadcast`).
 *
 * Day files are produced one at a time (`dayFiles()`), so an export of
 * millions of messages never sits in memory whole; `writeExportDirectory` and
 * `writeExportZip` write them out.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { seededRandom } from '../../apps/worker/src/demo/seeded-random';

export interface ExportFixtureOptions {
  /** Seed of the pseudo-random choices; the same seed gives the same export. */
  seed?: number;
  teamId?: string;
  publicChannels?: number;
  privateChannels?: number;
  directMessages?: number;
  multiPartyDirectMessages?: number;
  humans?: number;
  botUsers?: number;
  days?: number;
  /** First day, `YYYY-MM-DD` (UTC). */
  startDate?: string;
  /** Top-level messages per conversation per day, on average (thread replies come on top). */
  messagesPerDay?: number;
  /** Share of top-level human messages that start a thread. */
  threadShare?: number;
  /** How folders are named: by channel name (Slack) or by id (some tools). DMs are always by id. */
  folderNames?: 'name' | 'id';
}

export interface FixtureUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  deleted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  is_restricted: boolean;
  is_ultra_restricted: boolean;
  tz: string;
  profile: { real_name: string; display_name: string };
}

export interface FixtureChannel {
  id: string;
  name?: string;
  created: number;
  creator: string;
  is_archived: boolean;
  is_general?: boolean;
  members: string[];
  topic?: { value: string; creator: string; last_set: number };
  purpose?: { value: string; creator: string; last_set: number };
}

export type FixtureMessage = Record<string, unknown> & { ts: string; type: 'message' };

export interface FixtureDayFile {
  /** Path inside the export, `folder/YYYY-MM-DD.json`. */
  path: string;
  channelId: string;
  messages: FixtureMessage[];
}

export interface SlackExportFixture {
  readonly teamId: string;
  readonly users: FixtureUser[];
  /** The conversation lists by file name. */
  readonly lists: {
    'channels.json': FixtureChannel[];
    'groups.json': FixtureChannel[];
    'dms.json': FixtureChannel[];
    'mpims.json': FixtureChannel[];
  };
  /** Every day file, generated on demand in a fixed order. */
  dayFiles(): Generator<FixtureDayFile>;
}

const DEFAULTS: Required<ExportFixtureOptions> = {
  seed: 1,
  teamId: 'T0FIXTURE',
  publicChannels: 3,
  privateChannels: 1,
  directMessages: 1,
  multiPartyDirectMessages: 1,
  humans: 6,
  botUsers: 2,
  days: 5,
  startDate: '2024-03-04',
  messagesPerDay: 12,
  threadShare: 0.15,
  folderNames: 'name',
};

/** The workspace of the fixture's Slack Connect user. */
export const PARTNER_TEAM_ID = 'T0PARTNER';

const DAY_SECONDS = 86_400;
const EMOJI = ['thumbsup', 'tada', 'eyes', 'white_check_mark', 'heart', 'joy', 'rocket', 'pray'];
const WORDS = ['deploy', 'review', 'ticket', 'release', 'lunch', 'meeting', 'incident', 'design', 'draft', 'metrics', 'thanks', 'question'];

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

export function createSlackExportFixture(options: ExportFixtureOptions = {}): SlackExportFixture {
  const settings = { ...DEFAULTS, ...options };
  const { teamId } = settings;
  const start = Date.parse(`${settings.startDate}T00:00:00Z`) / 1000;
  const setup = seededRandom(settings.seed);

  const humans: FixtureUser[] = Array.from({ length: settings.humans }, (_, index) => {
    const name = `member${pad(index + 1, 3)}`;
    return user(`U${pad(index + 1, 7)}`, name, `Member ${index + 1}`, {
      deleted: index === settings.humans - 1 && settings.humans > 2,
      guest: index === 1 ? 'multi-channel' : index === 2 ? 'single-channel' : undefined,
    });
  });
  const bots: FixtureUser[] = Array.from({ length: settings.botUsers }, (_, index) =>
    user(`UB${pad(index + 1, 6)}`, `bot${index + 1}`, `Bot ${index + 1}`, { is_bot: true }),
  );
  const slackbot = user('USLACKBOT', 'slackbot', 'Slackbot', {});
  const partner = user('U0PARTNER1', 'partner', 'Partner Person', { team: PARTNER_TEAM_ID });
  function user(
    id: string,
    name: string,
    realName: string,
    flags: { deleted?: boolean; is_bot?: boolean; guest?: 'multi-channel' | 'single-channel'; team?: string },
  ): FixtureUser {
    return {
      id,
      team_id: flags.team ?? teamId,
      name,
      real_name: realName,
      deleted: flags.deleted ?? false,
      is_bot: flags.is_bot ?? false,
      is_app_user: false,
      is_restricted: flags.guest !== undefined,
      is_ultra_restricted: flags.guest === 'single-channel',
      tz: ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC'][id.length % 4],
      profile: { real_name: realName, display_name: name },
    };
  }
  const activeHumans = humans.filter((human) => !human.deleted);
  const pick = <T>(random: () => number, items: T[]): T => items[Math.floor(random() * items.length)];
  const membersOf = (count: number) => {
    const chosen = new Set<string>();
    while (chosen.size < Math.min(count, activeHumans.length)) chosen.add(pick(setup, activeHumans).id);
    return [...chosen].sort();
  };

  const channel = (id: string, name: string | undefined, members: string[], extra: Partial<FixtureChannel> = {}): FixtureChannel => ({
    id,
    ...(name ? { name } : {}),
    created: start - DAY_SECONDS * 30,
    creator: members[0] ?? humans[0].id,
    is_archived: false,
    members,
    ...extra,
  });
  const publicChannels = Array.from({ length: settings.publicChannels }, (_, index) =>
    channel(
      `C${pad(index + 1, 8)}`,
      index === 0 ? 'general' : `topic-${index}`,
      index === 0 ? activeHumans.map((human) => human.id) : membersOf(4),
      {
        is_general: index === 0,
        // The last public channel is archived: exports keep archived channels.
        is_archived: index === settings.publicChannels - 1 && settings.publicChannels > 2,
        topic: { value: 'Company-wide announcements', creator: humans[0].id, last_set: start },
        purpose: { value: 'Discussion', creator: humans[0].id, last_set: start },
      },
    ),
  );
  const privateChannels = Array.from({ length: settings.privateChannels }, (_, index) =>
    channel(`G${pad(index + 1, 8)}`, `private-${index + 1}`, membersOf(3)),
  );
  const directMessages = Array.from({ length: settings.directMessages }, (_, index) =>
    channel(`D${pad(index + 1, 8)}`, undefined, membersOf(2)),
  );
  const multiParty = Array.from({ length: settings.multiPartyDirectMessages }, (_, index) => {
    const members = membersOf(3);
    return channel(
      `G9${pad(index + 1, 7)}`,
      `mpdm-${members.map((id) => humans.find((human) => human.id === id)?.name).join('--')}-1`,
      members,
    );
  });

  const conversations = [
    ...publicChannels.map((entry) => ({ entry, folder: settings.folderNames === 'id' ? entry.id : (entry.name as string), system: true })),
    ...privateChannels.map((entry) => ({ entry, folder: settings.folderNames === 'id' ? entry.id : (entry.name as string), system: true })),
    ...directMessages.map((entry) => ({ entry, folder: entry.id, system: false })),
    ...multiParty.map((entry) => ({ entry, folder: settings.folderNames === 'id' ? entry.id : (entry.name as string), system: false })),
  ];

  function* dayFiles(): Generator<FixtureDayFile> {
    for (const [conversationIndex, { entry, folder, system }] of conversations.entries()) {
      // One generator per conversation: a change of `days` leaves the other conversations' messages alone.
      const random = seededRandom(settings.seed * 7919 + conversationIndex + 1);
      const posters = entry.members.length > 0 ? entry.members : [humans[0].id];
      let sequence = 0;
      const nextTs = (seconds: number) => `${Math.floor(seconds)}.${pad(++sequence % 1_000_000, 6)}`;
      // Replies already decided, waiting for the day they were posted on.
      const scheduled = new Map<number, FixtureMessage[]>();

      for (let day = 0; day < settings.days; day++) {
        const dayStart = start + day * DAY_SECONDS;
        const messages: FixtureMessage[] = [...(scheduled.get(day) ?? [])];
        scheduled.delete(day);
        const at = () => dayStart + 8 * 3600 + random() * 10 * 3600;

        if (day === 0 && system) {
          for (const member of posters)
            messages.push({
              type: 'message',
              subtype: 'channel_join',
              ts: nextTs(dayStart + 60 + random() * 600),
              user: member,
              text: `<@${member}> has joined the channel`,
            });
        }
        const count = Math.max(0, Math.round(settings.messagesPerDay * (0.5 + random())));
        for (let index = 0; index < count; index++) {
          const seconds = at();
          const author = pick(random, posters);
          const roll = random();
          let message: FixtureMessage;
          if (system && roll < 0.06) {
            message = botMessage(nextTs(seconds), random);
          } else if (system && roll < 0.08) {
            message = { type: 'message', ts: nextTs(seconds), user: 'USLACKBOT', text: 'Reminder: stand-up in 5 minutes.' };
          } else if (system && roll < 0.09) {
            const subtype = random() < 0.5 ? 'channel_topic' : 'channel_purpose';
            message = {
              type: 'message',
              subtype,
              ts: nextTs(seconds),
              user: author,
              text: `set the channel ${subtype.slice(8)}: ${sentence(random, 3)}`,
              [subtype.slice(8)]: sentence(random, 3),
            };
          } else {
            message = humanMessage(nextTs(seconds), author, random);
            if (roll > 0.97) Object.assign(message, fileShare(random, roll > 0.985));
          }
          if (random() < 0.05 && message.user) message.edited = { user: message.user, ts: nextTs(seconds + 120) };
          if (random() < 0.2) message.reactions = reactions(random, posters);
          if (!message.subtype && random() < settings.threadShare)
            addThread(message, seconds, day, random, posters, nextTs, scheduled, messages);
          messages.push(message);
        }
        // Before anyone else's messages of the day (8:00 on), so no ts can coincide; no random draw, so the rest stays as it was.
        if (entry.is_general) messages.push(partnerMessage(`${dayStart + 7 * 3600}.000001`));
        if (messages.length === 0) continue;
        messages.sort((left, right) => Number(left.ts) - Number(right.ts));
        yield { path: `${folder}/${isoDate(dayStart)}.json`, channelId: entry.id, messages };
      }
    }
  }

  function humanMessage(ts: string, author: string, random: () => number): FixtureMessage {
    const text = sentence(random, 4 + Math.floor(random() * 10));
    return {
      client_msg_id: uuid(random),
      type: 'message',
      text,
      user: author,
      ts,
      blocks: [
        {
          type: 'rich_text',
          block_id: uuid(random).slice(0, 5),
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
        },
      ],
      team: teamId,
      user_team: teamId,
      source_team: teamId,
      user_profile: {
        real_name: author,
        display_name: author,
        team: teamId,
        first_name: author,
        is_restricted: false,
        is_ultra_restricted: false,
      },
    };
  }

  /** Slack Connect: the author's own workspace is another one than the channel's. */
  function partnerMessage(ts: string): FixtureMessage {
    return {
      type: 'message',
      text: 'Hello from the partner workspace',
      user: partner.id,
      ts,
      team: PARTNER_TEAM_ID,
      user_team: PARTNER_TEAM_ID,
      source_team: PARTNER_TEAM_ID,
    };
  }

  function botMessage(ts: string, random: () => number): FixtureMessage {
    const bot = bots.length > 0 ? pick(random, bots) : undefined;
    // Integrations post as `bot_message` without a user; app bots post as their bot user with a bot_id.
    return random() < 0.5 || !bot
      ? {
          type: 'message',
          subtype: 'bot_message',
          ts,
          bot_id: 'B0INTEGRATION',
          username: 'ci',
          text: `Build ${Math.floor(random() * 1000)} passed`,
        }
      : {
          type: 'message',
          ts,
          user: bot.id,
          bot_id: `B${bot.id.slice(2)}`,
          app_id: 'A0FIXTURE',
          text: `Daily digest: ${sentence(random, 5)}`,
        };
  }

  function addThread(
    parent: FixtureMessage,
    seconds: number,
    day: number,
    random: () => number,
    posters: string[],
    nextTs: (seconds: number) => string,
    scheduled: Map<number, FixtureMessage[]>,
    today: FixtureMessage[],
  ): void {
    const replyCount = 1 + Math.floor(random() * 4);
    const replies: { user: string; ts: string }[] = [];
    let replySeconds = seconds;
    for (let index = 0; index < replyCount; index++) {
      // Most replies come within the hour; one in four waits for a later day.
      replySeconds += random() < 0.25 ? DAY_SECONDS * (1 + Math.floor(random() * 2)) : 60 + random() * 3600;
      const replyDay = Math.floor((replySeconds - (seconds - (seconds % DAY_SECONDS))) / DAY_SECONDS) + day;
      if (replyDay >= settings.days) break;
      const author = pick(random, posters);
      const reply = humanMessage(nextTs(replySeconds), author, random);
      Object.assign(reply, { thread_ts: parent.ts, parent_user_id: parent.user });
      if (random() < 0.1) Object.assign(reply, { subtype: 'thread_broadcast', root: { ts: parent.ts, user: parent.user } });
      if (random() < 0.15) reply.reactions = reactions(random, posters);
      replies.push({ user: author, ts: reply.ts });
      if (replyDay === day) today.push(reply);
      else scheduled.set(replyDay, [...(scheduled.get(replyDay) ?? []), reply]);
    }
    if (replies.length === 0) return;
    const replyUsers = [...new Set(replies.map((reply) => reply.user))];
    Object.assign(parent, {
      thread_ts: parent.ts,
      reply_count: replies.length,
      reply_users_count: replyUsers.length,
      latest_reply: replies[replies.length - 1].ts,
      reply_users: replyUsers,
      replies,
      is_locked: false,
      subscribed: false,
    });
  }

  return {
    teamId,
    users: [...humans, ...bots, slackbot, partner],
    lists: { 'channels.json': publicChannels, 'groups.json': privateChannels, 'dms.json': directMessages, 'mpims.json': multiParty },
    dayFiles,
  };
}

function reactions(random: () => number, posters: string[]): { name: string; users: string[]; count: number }[] {
  const kinds = 1 + Math.floor(random() * 2);
  const chosen = new Set<string>();
  while (chosen.size < kinds) chosen.add(EMOJI[Math.floor(random() * EMOJI.length)]);
  return [...chosen].map((name) => {
    const users = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => posters[Math.floor(random() * posters.length)]))];
    return { name, users, count: users.length };
  });
}

function fileShare(random: () => number, legacy: boolean): Record<string, unknown> {
  const file = { id: `F${Math.floor(random() * 1e9)}`, name: 'report.pdf', mimetype: 'application/pdf', size: Math.floor(random() * 1e6) };
  return legacy ? { subtype: 'file_share', files: [file] } : { files: [file], upload: true, display_as_bot: false };
}

function sentence(random: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
}

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** The export's top-level files: users and the four conversation lists. */
function listFiles(fixture: SlackExportFixture): [string, unknown][] {
  return [['users.json', fixture.users], ...Object.entries(fixture.lists)];
}

/** Writes the export unpacked, as a directory; returns the number of messages written. */
export async function writeExportDirectory(fixture: SlackExportFixture, directory: string): Promise<number> {
  let messages = 0;
  for (const [name, content] of listFiles(fixture)) await writeJson(join(directory, name), content);
  for (const day of fixture.dayFiles()) {
    await writeJson(join(directory, day.path), day.messages);
    messages += day.messages.length;
  }
  return messages;
}

async function writeJson(path: string, content: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(content, null, 4));
}

/**
 * Writes the export as a ZIP like Slack's (deflated, folders as entries).
 * The day files are generated twice: once for their names (the ZIP's entries
 * are declared up front), then each again only when the compressor asks for
 * it, so memory holds one day file whatever the size of the export.
 */
export async function writeExportZip(fixture: SlackExportFixture, path: string): Promise<number> {
  const zip = new ZipFile();
  const output = createWriteStream(path);
  zip.outputStream.pipe(output);
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const [name, content] of listFiles(fixture)) zip.addBuffer(Buffer.from(JSON.stringify(content, null, 4)), name, { mtime });
  const paths: string[] = [];
  for (const day of fixture.dayFiles()) paths.push(day.path);
  for (const folder of new Set(paths.map((file) => dirname(file)))) zip.addEmptyDirectory(folder, { mtime });
  const days = fixture.dayFiles();
  let messages = 0;
  for (const expectedPath of paths) {
    zip.addReadStreamLazy(expectedPath, { mtime }, (callback) => {
      const day = days.next().value as FixtureDayFile;
      if (day.path !== expectedPath)
        return callback(new Error(`fixture is not deterministic: ${day.path} instead of ${expectedPath}`), Readable.from([]));
      messages += day.messages.length;
      callback(null, Readable.from([Buffer.from(JSON.stringify(day.messages, null, 4))]));
    });
  }
  zip.end();
  await finished(output);
  return messages;
}
