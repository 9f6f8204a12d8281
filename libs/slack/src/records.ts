import type { ChannelKind, MessageReaction } from '@app/db';
import type { SlackChannel, SlackMessage, SlackReaction, SlackTeam, SlackUser } from './slack-payloads';

/** Slack's message timestamp: seconds, a dot, and a sequence ("1700000000.000100"). */
const TS_PATTERN = /^\d+\.\d+$/;

export function isSlackTs(value: unknown): value is string {
  return typeof value === 'string' && TS_PATTERN.test(value);
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
  teamId: string;
  name: string | null;
  realName: string | null;
  isBot: boolean;
  isDeleted: boolean;
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
  return { id: team.id, name: team.name ?? null, domain: team.domain ?? null };
}

export function channelRecord(channel: SlackChannel & { id: string }, teamId: string, kind?: ChannelKind): ChannelRecord {
  return {
    id: channel.id,
    teamId,
    name: channel.name ?? null,
    kind: kind ?? channelKind(channel),
    isArchived: channel.is_archived === true,
    created: typeof channel.created === 'number' ? channel.created : null,
    memberCount: typeof channel.num_members === 'number' ? channel.num_members : Array.isArray(channel.members) ? channel.members.length : null,
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
    teamId: user.team_id ?? fallbackTeamId,
    name: user.name ?? null,
    realName: user.real_name ?? user.profile?.real_name ?? null,
    isBot: user.is_bot === true,
    isDeleted: user.deleted === true,
    tz: user.tz ?? null,
  };
}

/** Merges duplicate emoji entries and keeps only well-formed ones, so every source yields the same jsonb. */
export function normaliseReactions(reactions: SlackReaction[] | undefined): MessageReaction[] {
  if (!Array.isArray(reactions)) return [];
  const byName = new Map<string, MessageReaction>();
  for (const reaction of reactions) {
    if (!reaction || typeof reaction.name !== 'string') continue;
    const users = Array.isArray(reaction.users) ? reaction.users.filter((user): user is string => typeof user === 'string') : [];
    const count = typeof reaction.count === 'number' && reaction.count >= 0 ? Math.floor(reaction.count) : users.length;
    const known = byName.get(reaction.name);
    if (known) {
      known.count += count;
      known.users = [...new Set([...known.users, ...users])];
    } else {
      byName.set(reaction.name, { name: reaction.name, count, users: [...new Set(users)] });
    }
  }
  return [...byName.values()].filter((reaction) => reaction.count > 0);
}

export function reactionCount(reactions: MessageReaction[]): number {
  return reactions.reduce((sum, reaction) => sum + reaction.count, 0);
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

/** The stored facts of a Slack message object; undefined when it has no usable ts. */
export function messageRecord(message: SlackMessage, context: MessageContext): MessageRecord | undefined {
  if (!isSlackTs(message.ts)) return undefined;
  const files = Array.isArray(message.files) ? message.files.length : message.file ? 1 : 0;
  return {
    channelId: context.channelId,
    ts: message.ts,
    teamId: context.teamId,
    userId: typeof message.user === 'string' ? message.user : null,
    botId: typeof message.bot_id === 'string' ? message.bot_id : null,
    threadTs: isSlackTs(message.thread_ts) ? message.thread_ts : null,
    subtype: typeof message.subtype === 'string' ? message.subtype : null,
    isBot: message.subtype === 'bot_message' || typeof message.bot_id === 'string',
    replyCount: typeof message.reply_count === 'number' && message.reply_count > 0 ? Math.floor(message.reply_count) : 0,
    latestReplyTs: isSlackTs(message.latest_reply) ? message.latest_reply : null,
    reactions: normaliseReactions(message.reactions),
    fileCount: files,
    text: context.storeText && typeof message.text === 'string' ? message.text : null,
    editedTs: isSlackTs(message.edited?.ts) ? message.edited.ts : null,
  };
}

/** True for a reply inside a thread (the parent carries thread_ts = ts). */
export function isThreadReply(record: Pick<MessageRecord, 'ts' | 'threadTs'>): boolean {
  return record.threadTs !== null && record.threadTs !== record.ts;
}
