/**
 * What the raw tables must hold for a Slack message, written out plainly
 * from the data model in docs/design.md, independently of the code under
 * test, so a wrong mapping in the store fails the tests.
 */
import { DataSource } from 'typeorm';

export interface MessageRow {
  channel_id: string;
  ts: string;
  team_id: string;
  user_id: string | null;
  bot_id: string | null;
  thread_ts: string | null;
  subtype: string | null;
  posted_at: string;
  is_bot: boolean;
  reply_count: number;
  latest_reply_ts: string | null;
  reaction_count: number;
  reactions: { name: string; count: number; users: string[] }[];
  reactors: string[];
  file_count: number;
  text: string | null;
  edited_at: string | null;
  author_team_id: string | null;
  deleted: boolean;
}

interface SlackLikeMessage {
  ts: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  subtype?: string;
  reply_count?: number;
  latest_reply?: string;
  reactions?: { name: string; count: number; users: string[] }[];
  files?: unknown[];
  text?: string;
  edited?: { ts: string };
  user_team?: string;
  source_team?: string;
}

/** `1700000000.000100` → `2023-11-14T22:13:20.000100Z`, as PostgreSQL prints to_timestamp(ts) in UTC. */
export function isoOfTs(ts: string): string {
  const [seconds, fraction] = ts.split('.');
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${iso}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}

export function expectedMessageRow(
  message: SlackLikeMessage,
  where: { teamId: string; channelId: string; storeText: boolean; deleted?: boolean },
): MessageRow {
  const reactions = message.reactions ?? [];
  return {
    channel_id: where.channelId,
    ts: message.ts,
    team_id: where.teamId,
    user_id: message.user ?? null,
    bot_id: message.bot_id ?? null,
    thread_ts: message.thread_ts ?? null,
    subtype: message.subtype ?? null,
    posted_at: isoOfTs(message.ts),
    is_bot: message.subtype === 'bot_message' || message.bot_id !== undefined,
    reply_count: message.reply_count ?? 0,
    latest_reply_ts: message.latest_reply ?? null,
    reaction_count: reactions.reduce((sum, reaction) => sum + reaction.count, 0),
    reactions: reactions.map((reaction) => ({ name: reaction.name, count: reaction.count, users: reaction.users })),
    reactors: [...new Set(reactions.flatMap((reaction) => reaction.users))].sort(),
    file_count: message.files?.length ?? 0,
    text: where.storeText ? (message.text ?? null) : null,
    edited_at: message.edited ? isoOfTs(message.edited.ts) : null,
    author_team_id: message.user_team ?? message.source_team ?? null,
    deleted: where.deleted ?? false,
  };
}

/** Every stored message, in a stable order, with times as UTC ISO strings of microsecond precision. */
export async function storedMessageRows(dataSource: DataSource): Promise<MessageRow[]> {
  const rows = await dataSource.query(
    `SELECT channel_id, ts, team_id, user_id, bot_id, thread_ts, subtype,
            to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS posted_at,
            is_bot, reply_count, latest_reply_ts, reaction_count, reactions, reactors, file_count, text,
            to_char(edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS edited_at,
            author_team_id, deleted_at IS NOT NULL AS deleted
     FROM messages ORDER BY channel_id, ts`,
  );
  return rows;
}

export function byChannelAndTs(left: MessageRow, right: MessageRow): number {
  return left.channel_id.localeCompare(right.channel_id) || Number(left.ts) - Number(right.ts);
}
