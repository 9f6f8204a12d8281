import { ACTIVITY_WINDOW_DAYS, FIRST_DAY, LAST_DAY } from '@app/db';
import type { ChannelKind, MessageReaction } from '@app/db';
import { isSlackId } from '@app/slack';
import type { SlackChannel, SlackMessage, SlackReaction, SlackTeam, SlackUser } from '@app/slack';

/**
 * The rules every value from Slack passes before it is written, whichever
 * source brought it (collector, Events API, export): ids of a Slack id's
 * shape, timestamps inside the supported days, counts a column can hold, text
 * PostgreSQL can hold. A value that breaks them is dropped or the record it
 * is in is refused, so that no stored row can fail a later write, an
 * aggregation run or a query.
 */

/** A value no Slack payload carries, met where the store would write it. */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
}

/** `value` when it is a Slack id; otherwise an InvalidRecordError naming `what` (ids are no secret, but only their start is quoted). */
export function requireSlackId(value: unknown, what: string): string {
  if (isSlackId(value)) return value;
  const shown =
    typeof value === 'string'
      ? `${JSON.stringify(value.slice(0, 24))}${value.length > 24 ? ` (${value.length} characters)` : ''}`
      : String(value);
  throw new InvalidRecordError(`${what} ${shown} is not a Slack id (letters, digits, _ or -, at most 64)`);
}

/** The largest count a column holds (PostgreSQL integer); no count Slack reports comes near it. */
export const MAX_STORED_COUNT = 2_147_483_647;

/** A count as stored: a whole number of at least 0, clamped to the column's range; undefined for anything else. */
export function storableCount(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return undefined;
  return Math.min(value, MAX_STORED_COUNT);
}

/**
 * Text as stored: a string without NUL, which PostgreSQL text cannot hold and
 * no Slack text needs; null for anything but a string, or for one longer than
 * `maxLength`.
 */
export function storableText(value: unknown, maxLength = Infinity): string | null {
  if (typeof value !== 'string') return null;
  const text = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  return text.length > maxLength ? null : text;
}

/** Slack allows 80 characters; an index entry holds some 2,700 bytes, so a longer name is unknown. */
export const MAX_CHANNEL_NAME_LENGTH = 255;

const DAY_SECONDS = 86_400;

function midnightSeconds(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/**
 * Message times whose derived days all lie in the supported days: the day a
 * message falls on in any time zone (within a day of UTC's) and the
 * DAU/WAU/MAU windows it counts in.
 */
const EARLIEST_TS_SECONDS = midnightSeconds(FIRST_DAY) + DAY_SECONDS;
const LATEST_TS_SECONDS = midnightSeconds(LAST_DAY) - ACTIVITY_WINDOW_DAYS * DAY_SECONDS;

/** Slack's message timestamp: seconds, a dot, and a sequence of up to six digits ("1700000000.000100"). */
const TS_PATTERN = /^([1-9]\d{0,11})\.\d{1,6}$/;

/** A Slack ts of a time the system can compute with (1970-01-02 to 9999-12-02 UTC). */
export function isSlackTs(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = TS_PATTERN.exec(value);
  if (!match) return false;
  const seconds = Number(match[1]);
  return seconds >= EARLIEST_TS_SECONDS && seconds < LATEST_TS_SECONDS;
}

/** Unix seconds within the supported days (a channel's `created`); null for anything else. */
function supportedSeconds(value: unknown): number | null {
  return typeof value === 'number' && value >= midnightSeconds(FIRST_DAY) && value < midnightSeconds(LAST_DAY) + DAY_SECONDS ? value : null;
}

/** Numeric comparison of two Slack timestamps (string comparison breaks when the digit counts differ). */
export function compareTs(left: string, right: string): number {
  const [leftSeconds, leftSequence = ''] = left.split('.');
  const [rightSeconds, rightSequence = ''] = right.split('.');
  if (leftSeconds.length !== rightSeconds.length) return leftSeconds.length - rightSeconds.length;
  if (leftSeconds !== rightSeconds) return leftSeconds < rightSeconds ? -1 : 1;
  const width = Math.max(leftSequence.length, rightSequence.length);
  const a = leftSequence.padEnd(width, '0');
  const b = rightSequence.padEnd(width, '0');
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * The instant a Slack ts stands for, as timestamptz input: every writer
 * converts through here so that a message's posted_at is the same to the
 * microsecond whichever source stored it.
 */
export function timestampOfTs(ts: string): string {
  const dot = ts.indexOf('.');
  const seconds = Number(dot < 0 ? ts : ts.slice(0, dot));
  const fraction = dot < 0 ? '0' : ts.slice(dot + 1);
  // Formatting a Date per message shows in import profiles; the date part is computed once per day.
  const day = Math.floor(seconds / 86_400);
  let date = dateOfDay.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dateOfDay.size > 10_000) dateOfDay.clear();
    dateOfDay.set(day, date);
  }
  const secondOfDay = seconds - day * 86_400;
  const hours = Math.floor(secondOfDay / 3600);
  const minutes = Math.floor((secondOfDay % 3600) / 60);
  return `${date}T${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(secondOfDay % 60)}.${fraction}Z`;
}

const dateOfDay = new Map<number, string>();

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

export function newestTs(values: Iterable<string | null | undefined>): string | null {
  let newest: string | null = null;
  for (const value of values) {
    if (isSlackTs(value) && (newest === null || compareTs(value, newest) > 0)) newest = value;
  }
  return newest;
}

export interface WorkspaceRecord {
  id: string;
  name: string | null;
  domain: string | null;
}

export interface ChannelRecord {
  id: string;
  teamId: string;
  name: string | null;
  kind: ChannelKind;
  isArchived: boolean;
  /** Unix seconds. */
  created: number | null;
  memberCount: number | null;
}

export interface UserRecord {
  id: string;
  /** The user's own workspace as Slack states it (another one for a Slack Connect user); the one it was seen in otherwise. */
  teamId: string;
  name: string | null;
  realName: string | null;
  isBot: boolean;
  isDeleted: boolean;
  /** Guest flags; null when Slack does not state them. */
  isRestricted: boolean | null;
  isUltraRestricted: boolean | null;
  /** IANA time zone name; null when unknown or not a time zone name. */
  tz: string | null;
}

/**
 * The stored facts of one message, identical whichever source saw it. Whether
 * it counts as a message, a bot's or a human's is decided at aggregation.
 */
export interface MessageRecord {
  channelId: string;
  ts: string;
  teamId: string;
  userId: string | null;
  botId: string | null;
  /** The author's own workspace (Slack's user_team, else source_team); null when the message does not say. */
  authorTeamId: string | null;
  threadTs: string | null;
  subtype: string | null;
  isBot: boolean;
  replyCount: number;
  latestReplyTs: string | null;
  reactions: MessageReaction[];
  fileCount: number;
  /** Null unless message text is to be kept (STORE_MESSAGE_TEXT). */
  text: string | null;
  /** Slack ts of the latest edit. */
  editedTs: string | null;
}

export function workspaceRecord(team: SlackTeam & { id: string }): WorkspaceRecord {
  return { id: team.id, name: storableText(team.name), domain: storableText(team.domain) };
}

export function channelRecord(channel: SlackChannel & { id: string }, teamId: string, kind?: ChannelKind): ChannelRecord {
  return {
    id: channel.id,
    teamId,
    name: storableText(channel.name, MAX_CHANNEL_NAME_LENGTH),
    kind: kind ?? channelKind(channel),
    isArchived: channel.is_archived === true,
    created: supportedSeconds(channel.created),
    memberCount: storableCount(channel.num_members) ?? (Array.isArray(channel.members) ? channel.members.length : null),
  };
}

function channelKind(channel: SlackChannel): ChannelKind {
  if (channel.is_im) return 'im';
  if (channel.is_mpim) return 'mpim';
  return channel.is_private ? 'private' : 'public';
}

/**
 * Events name the conversation type instead of flagging it: message events as
 * `channel`/`group`/`im`/`mpim`, membership events as `C`/`G`.
 */
export function channelKindOfEventType(channelType: string | undefined): ChannelKind {
  switch (channelType) {
    case 'group':
    case 'G':
      return 'private';
    case 'im':
      return 'im';
    case 'mpim':
      return 'mpim';
    default:
      return 'public';
  }
}

export function userRecord(user: SlackUser & { id: string }, fallbackTeamId: string): UserRecord {
  return {
    id: user.id,
    teamId: isSlackId(user.team_id) ? user.team_id : fallbackTeamId,
    name: storableText(user.name),
    realName: storableText(user.real_name) ?? storableText(user.profile?.real_name),
    isBot: user.is_bot === true,
    isDeleted: user.deleted === true,
    isRestricted: typeof user.is_restricted === 'boolean' ? user.is_restricted : null,
    isUltraRestricted: typeof user.is_ultra_restricted === 'boolean' ? user.is_ultra_restricted : null,
    tz: storableTimeZone(user.tz),
  };
}

/** IANA names are some 30 characters; the longest ICU knows is under 40. */
const MAX_TIME_ZONE_LENGTH = 64;

/** An IANA zone name's shape: an area, optional locations; no offsets ("+01:00"), which profiles do not carry. */
const TIME_ZONE_PATTERN = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

const knownTimeZones = new Map<string, boolean>();

/**
 * A profile's time zone as stored: an IANA name ICU knows ("Europe/Berlin",
 * "UTC"), as Slack spelled it; null for anything else, so that every stored
 * zone can be computed with.
 */
export function storableTimeZone(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_TIME_ZONE_LENGTH || !TIME_ZONE_PATTERN.test(value)) return null;
  let known = knownTimeZones.get(value);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      known = true;
    } catch {
      known = false;
    }
    // Users repeat a few dozen zones; the bound only stops hostile input from growing the cache.
    if (knownTimeZones.size > 10_000) knownTimeZones.clear();
    knownTimeZones.set(value, known);
  }
  return known ? value : null;
}

/**
 * Merges duplicate emoji entries and keeps only well-formed ones, so every
 * source yields the same jsonb: a named emoji, a whole count (the listed users
 * when there is none; clamped to MAX_STORED_COUNT), users that are Slack ids.
 */
export function normaliseReactions(reactions: SlackReaction[] | undefined): MessageReaction[] {
  if (!Array.isArray(reactions)) return [];
  const byName = new Map<string, MessageReaction>();
  for (const reaction of reactions) {
    const name = storableText(reaction?.name);
    if (!name) continue;
    const users = Array.isArray(reaction.users) ? reaction.users.filter(isSlackId) : [];
    const count = storableCount(reaction.count) ?? users.length;
    const known = byName.get(name);
    if (known) {
      known.count = Math.min(known.count + count, MAX_STORED_COUNT);
      known.users = [...new Set([...known.users, ...users])];
    } else {
      byName.set(name, { name, count, users: [...new Set(users)] });
    }
  }
  return [...byName.values()].filter((reaction) => reaction.count > 0);
}

/** A message's reactions in all, clamped to what its column holds. */
export function reactionCount(reactions: MessageReaction[]): number {
  return Math.min(
    reactions.reduce((sum, reaction) => sum + reaction.count, 0),
    MAX_STORED_COUNT,
  );
}

/** Distinct known reacting users, sorted so equal sets compare equal in SQL. */
export function reactorsOf(reactions: MessageReaction[]): string[] {
  const users = new Set<string>();
  for (const reaction of reactions) for (const user of reaction.users) users.add(user);
  return [...users].sort();
}

export interface MessageContext {
  teamId: string;
  channelId: string;
  storeText: boolean;
}

/** Why a Slack message object cannot be stored. */
export type MessageProblem = 'no valid ts' | 'invalid id';

/**
 * The stored facts of a Slack message object, or why it cannot be stored: no
 * ts the system can compute with, or an author, bot, channel or workspace id
 * that is not a Slack id. Other values that break the rules are dropped: a
 * thread_ts, latest_reply or edit time out of range is unknown, an author's
 * team that is not a Slack id is unknown, NUL leaves text and subtype,
 * counts are clamped.
 */
export function readMessage(message: SlackMessage, context: MessageContext): MessageRecord | MessageProblem {
  if (!isSlackTs(message.ts)) return 'no valid ts';
  const userId = message.user ?? null;
  const botId = message.bot_id ?? null;
  if ((userId !== null && !isSlackId(userId)) || (botId !== null && !isSlackId(botId))) return 'invalid id';
  if (!isSlackId(context.channelId) || !isSlackId(context.teamId)) return 'invalid id';
  const files = Array.isArray(message.files) ? message.files.length : message.file ? 1 : 0;
  return {
    channelId: context.channelId,
    ts: message.ts,
    teamId: context.teamId,
    userId,
    botId,
    authorTeamId: authorTeamOf(message),
    threadTs: isSlackTs(message.thread_ts) ? message.thread_ts : null,
    subtype: storableText(message.subtype),
    isBot: message.subtype === 'bot_message' || botId !== null,
    replyCount: storableCount(message.reply_count) ?? 0,
    latestReplyTs: isSlackTs(message.latest_reply) ? message.latest_reply : null,
    reactions: normaliseReactions(message.reactions),
    fileCount: files,
    text: context.storeText ? storableText(message.text) : null,
    editedTs: isSlackTs(message.edited?.ts) ? message.edited.ts : null,
  };
}

/** Slack names the author's team as user_team; source_team, the team it was posted from, is the same team where user_team is missing. */
function authorTeamOf(message: SlackMessage): string | null {
  if (isSlackId(message.user_team)) return message.user_team;
  return isSlackId(message.source_team) ? message.source_team : null;
}

/** The stored facts of a Slack message object; undefined when it cannot be stored (see readMessage). */
export function messageRecord(message: SlackMessage, context: MessageContext): MessageRecord | undefined {
  const read = readMessage(message, context);
  return typeof read === 'string' ? undefined : read;
}

/** The ts of the thread parent a message replies to; null for a parent (it carries thread_ts = ts) or a message outside threads. */
export function threadParentTs(record: Pick<MessageRecord, 'ts' | 'threadTs'>): string | null {
  return record.threadTs !== null && record.threadTs !== record.ts ? record.threadTs : null;
}
