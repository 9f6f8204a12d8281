import type { MessageReaction, MessageSource } from '@app/db';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { DataSource, QueryRunner } from 'typeorm';
import { MESSAGE_COPY_COLUMNS, MessageBatch } from './message-batch';
import {
  ChannelRecord,
  compareTs,
  isThreadReply,
  MAX_STORED_COUNT,
  MessageRecord,
  reactionCount,
  reactorsOf,
  requireSlackId,
  timestampOfTs,
  UserRecord,
  WorkspaceRecord,
} from './records';

/**
 * Staged rows are merged with one INSERT … SELECT per batch: the way into an
 * indexed table that lets a conflict update the existing row. `ON COMMIT
 * DELETE ROWS` empties it when a transaction ends, whichever way; `ordinal`
 * numbers rows in COPY order, so of a message staged twice the later wins.
 */
const CREATE_STAGING = `
  CREATE TEMP TABLE IF NOT EXISTS message_staging (
    channel_id text NOT NULL,
    ts text NOT NULL,
    team_id text NOT NULL,
    user_id text,
    bot_id text,
    thread_ts text,
    subtype text,
    posted_at timestamptz NOT NULL,
    is_bot boolean NOT NULL,
    reply_count integer NOT NULL,
    latest_reply_ts text,
    reaction_count integer NOT NULL,
    reactions jsonb NOT NULL,
    reactors text[] NOT NULL,
    file_count integer NOT NULL,
    text text,
    edited_at timestamptz,
    source text NOT NULL,
    ordinal bigint GENERATED ALWAYS AS IDENTITY
  ) ON COMMIT DELETE ROWS`;

/**
 * A snapshot states the message as Slack shows it now, so it replaces the
 * stored facts, with three exceptions that only ever move forward: an edit
 * time never goes back, a deletion is never undone, and a tombstone (Slack's
 * stand-in for a deleted thread parent) marks the row deleted. The WHERE
 * clause leaves rows that would not change untouched, so `updated_at` moves
 * only on a real change (the aggregation recomputes days by it).
 */
const MERGE_STAGING = `
  INSERT INTO messages AS m (${MESSAGE_COPY_COLUMNS}, deleted_at)
  SELECT DISTINCT ON (channel_id, ts) ${MESSAGE_COPY_COLUMNS}, CASE WHEN subtype = 'tombstone' THEN now() END
  FROM message_staging
  ORDER BY channel_id, ts, ordinal DESC
  ON CONFLICT (channel_id, ts) DO UPDATE SET
    team_id = EXCLUDED.team_id,
    user_id = EXCLUDED.user_id,
    bot_id = EXCLUDED.bot_id,
    thread_ts = EXCLUDED.thread_ts,
    subtype = EXCLUDED.subtype,
    is_bot = EXCLUDED.is_bot,
    reply_count = EXCLUDED.reply_count,
    latest_reply_ts = EXCLUDED.latest_reply_ts,
    reaction_count = EXCLUDED.reaction_count,
    reactions = EXCLUDED.reactions,
    reactors = EXCLUDED.reactors,
    file_count = EXCLUDED.file_count,
    text = EXCLUDED.text,
    edited_at = GREATEST(m.edited_at, EXCLUDED.edited_at),
    deleted_at = COALESCE(m.deleted_at, EXCLUDED.deleted_at),
    source = EXCLUDED.source,
    updated_at = now()
  WHERE (m.team_id, m.user_id, m.bot_id, m.thread_ts, m.subtype, m.is_bot, m.reply_count, m.latest_reply_ts,
         m.reaction_count, m.reactions, m.reactors, m.file_count, m.text, m.edited_at, m.deleted_at)
    IS DISTINCT FROM
        (EXCLUDED.team_id, EXCLUDED.user_id, EXCLUDED.bot_id, EXCLUDED.thread_ts, EXCLUDED.subtype, EXCLUDED.is_bot,
         EXCLUDED.reply_count, EXCLUDED.latest_reply_ts, EXCLUDED.reaction_count, EXCLUDED.reactions, EXCLUDED.reactors,
         EXCLUDED.file_count, EXCLUDED.text, GREATEST(m.edited_at, EXCLUDED.edited_at), COALESCE(m.deleted_at, EXCLUDED.deleted_at))`;

/** PostgreSQL's unique_violation: a COPY of rows assumed new met a stored one. */
const UNIQUE_VIOLATION = '23505';

/** What an event says about a message beyond its content. */
export interface MessageEventFacts {
  /** The payload carries reply_count/latest_reply (a thread parent's update), so they replace the stored ones. */
  hasThreadInfo: boolean;
  /** The payload carries its reactions, so they replace the stored ones. */
  hasReactions: boolean;
}

export type ReactionChange = 'changed' | 'unchanged' | 'unknown-message';
export type DeletionOutcome = 'deleted' | 'already-deleted' | 'unknown-message';

interface StoredReactions {
  reactions: MessageReaction[];
}

/** The new reaction list after `user` added `name`, or undefined when it already counted. */
export function withReactionAdded(reactions: MessageReaction[], name: string, user: string): MessageReaction[] | undefined {
  const existing = reactions.find((reaction) => reaction.name === name);
  if (!existing) return [...reactions, { name, count: 1, users: [user] }];
  if (existing.users.includes(user)) return undefined;
  return reactions.map((reaction) => (reaction === existing ? { name, count: reaction.count + 1, users: [...reaction.users, user] } : reaction));
}

/**
 * The new reaction list after `user` removed `name`, or undefined when nothing
 * changes. A source may list fewer users than the count (Slack truncates), so
 * an unlisted user still takes one off an emoji counted beyond its listed users.
 */
export function withReactionRemoved(reactions: MessageReaction[], name: string, user: string): MessageReaction[] | undefined {
  const existing = reactions.find((reaction) => reaction.name === name);
  if (!existing) return undefined;
  const listed = existing.users.includes(user);
  if (!listed && existing.count <= existing.users.length) return undefined;
  const updated = { name, count: existing.count - 1, users: existing.users.filter((candidate) => candidate !== user) };
  return reactions.flatMap((reaction) => (reaction !== existing ? [reaction] : updated.count > 0 ? [updated] : []));
}

/**
 * The one write path into the raw tables, shared by the collector, the Events
 * API receiver and the export importer, so that a message is the same row
 * whichever source saw it. Every method runs inside the transaction the store
 * was opened with. Every id it writes must be a Slack id (InvalidRecordError
 * otherwise, before any statement): the sources check ids as they read them,
 * and this is where a missed one stops.
 */
export class ActivityStore {
  private stagingReady = false;
  private lastBatchMetStoredRows = false;

  private constructor(
    private readonly runner: QueryRunner,
    private readonly client: PoolClient,
  ) {}

  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  static async transaction<T>(dataSource: DataSource, work: (store: ActivityStore) => Promise<T>): Promise<T> {
    const runner = dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction();
      try {
        const result = await work(new ActivityStore(runner, client));
        await runner.commitTransaction();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /** Rows of a statement run in this store's transaction (RETURNING rows for writes). */
  async query<T extends object = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    const result = await this.client.query<T>(sql, parameters);
    return result.rows;
  }

  /** How many rows a write statement inserted or changed. */
  private async execute(sql: string, parameters: unknown[] = []): Promise<number> {
    const result = await this.client.query(sql, parameters);
    return result.rowCount ?? 0;
  }

  async upsertWorkspace(workspace: WorkspaceRecord): Promise<void> {
    requireSlackId(workspace.id, 'workspace id');
    await this.query(
      `INSERT INTO workspaces AS w (id, name, domain) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = COALESCE(EXCLUDED.name, w.name), domain = COALESCE(EXCLUDED.domain, w.domain), updated_at = now()
       WHERE (w.name, w.domain) IS DISTINCT FROM (COALESCE(EXCLUDED.name, w.name), COALESCE(EXCLUDED.domain, w.domain))`,
      [workspace.id, workspace.name, workspace.domain],
    );
  }

  /** Creates a workspace row known only by its id (from an event or an export), leaving a known one alone. */
  async ensureWorkspace(id: string): Promise<void> {
    requireSlackId(id, 'workspace id');
    await this.query(`INSERT INTO workspaces (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, [id]);
  }

  /** Inserts or updates channels; a field the source does not know (null) keeps its stored value. */
  async upsertChannels(channels: ChannelRecord[]): Promise<void> {
    if (channels.length === 0) return;
    for (const channel of channels) {
      requireSlackId(channel.id, 'channel id');
      requireSlackId(channel.teamId, `workspace id of channel ${channel.id}`);
    }
    await this.query(
      `INSERT INTO channels AS c (id, team_id, name, kind, is_private, is_archived, created, member_count)
       SELECT id, team_id, name, kind, kind <> 'public', is_archived, to_timestamp(created), member_count
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::double precision[], $7::integer[])
         AS s(id, team_id, name, kind, is_archived, created, member_count)
       ON CONFLICT (id) DO UPDATE SET
         team_id = EXCLUDED.team_id,
         name = COALESCE(EXCLUDED.name, c.name),
         kind = EXCLUDED.kind,
         is_private = EXCLUDED.is_private,
         is_archived = EXCLUDED.is_archived,
         created = COALESCE(EXCLUDED.created, c.created),
         member_count = COALESCE(EXCLUDED.member_count, c.member_count),
         updated_at = now()
       WHERE (c.team_id, c.name, c.kind, c.is_archived, c.created, c.member_count) IS DISTINCT FROM
             (EXCLUDED.team_id, COALESCE(EXCLUDED.name, c.name), EXCLUDED.kind, EXCLUDED.is_archived,
              COALESCE(EXCLUDED.created, c.created), COALESCE(EXCLUDED.member_count, c.member_count))`,
      [
        channels.map((channel) => channel.id),
        channels.map((channel) => channel.teamId),
        channels.map((channel) => channel.name),
        channels.map((channel) => channel.kind),
        channels.map((channel) => channel.isArchived),
        channels.map((channel) => channel.created),
        channels.map((channel) => channel.memberCount),
      ],
    );
  }

  /** Creates a channel known only by its id and kind (first seen in an event), leaving a known one alone. */
  async ensureChannel(id: string, teamId: string, kind: ChannelRecord['kind']): Promise<void> {
    requireSlackId(id, 'channel id');
    requireSlackId(teamId, `workspace id of channel ${id}`);
    await this.query(
      `INSERT INTO channels (id, team_id, kind, is_private) VALUES ($1, $2, $3, $3 <> 'public') ON CONFLICT (id) DO NOTHING`,
      [id, teamId, kind],
    );
  }

  async renameChannel(id: string, name: string): Promise<void> {
    await this.query(`UPDATE channels SET name = $2, updated_at = now() WHERE id = $1 AND name IS DISTINCT FROM $2`, [id, name]);
  }

  async setChannelArchived(id: string, archived: boolean): Promise<void> {
    await this.query(`UPDATE channels SET is_archived = $2, updated_at = now() WHERE id = $1 AND is_archived <> $2`, [id, archived]);
  }

  /** Follows joins and leaves on a channel whose member count is known, within the column's range. */
  async adjustMemberCount(id: string, delta: number): Promise<void> {
    await this.query(
      `UPDATE channels SET member_count = LEAST(GREATEST(member_count::bigint + $2, 0), $3)::int, updated_at = now()
       WHERE id = $1 AND member_count IS NOT NULL`,
      [id, delta, MAX_STORED_COUNT],
    );
  }

  /**
   * Inserts or updates users. `updated_at` moves only when is_bot or
   * is_deleted changes: those decide how the user's messages are classified,
   * so the aggregation recomputes that user's days; a new name does not.
   */
  async upsertUsers(users: UserRecord[]): Promise<void> {
    if (users.length === 0) return;
    for (const user of users) {
      requireSlackId(user.id, 'user id');
      requireSlackId(user.teamId, `workspace id of user ${user.id}`);
    }
    await this.query(
      `INSERT INTO users AS u (id, team_id, name, real_name, is_bot, is_deleted, tz)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::text[])
       ON CONFLICT (id) DO UPDATE SET
         team_id = EXCLUDED.team_id,
         name = EXCLUDED.name,
         real_name = EXCLUDED.real_name,
         is_bot = EXCLUDED.is_bot,
         is_deleted = EXCLUDED.is_deleted,
         tz = EXCLUDED.tz,
         updated_at = CASE WHEN (u.is_bot, u.is_deleted) IS DISTINCT FROM (EXCLUDED.is_bot, EXCLUDED.is_deleted) THEN now() ELSE u.updated_at END
       WHERE (u.team_id, u.name, u.real_name, u.is_bot, u.is_deleted, u.tz) IS DISTINCT FROM
             (EXCLUDED.team_id, EXCLUDED.name, EXCLUDED.real_name, EXCLUDED.is_bot, EXCLUDED.is_deleted, EXCLUDED.tz)`,
      [
        users.map((user) => user.id),
        users.map((user) => user.teamId),
        users.map((user) => user.name),
        users.map((user) => user.realName),
        users.map((user) => user.isBot),
        users.map((user) => user.isDeleted),
        users.map((user) => user.tz),
      ],
    );
  }

  /** Creates a user known only by id (first seen in an event), leaving a known one alone. */
  async ensureUser(id: string, teamId: string): Promise<void> {
    requireSlackId(id, 'user id');
    requireSlackId(teamId, `workspace id of user ${id}`);
    await this.query(`INSERT INTO users (id, team_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, teamId]);
  }

  /**
   * Writes full message snapshots (a history page, an export's day files).
   * Returns how many rows were inserted or changed.
   *
   * With `mostlyNew` (an import), a batch is first COPYed straight into
   * messages — PostgreSQL's fastest way in — inside a savepoint; if any of its
   * rows is already stored (or repeated in the batch) the COPY fails as a
   * whole, is rolled back to the savepoint and the batch goes through the
   * merge instead, as does every batch after one that met stored rows, until
   * a batch is all new again. Tombstones always take the merge, which is where
   * they are marked deleted.
   */
  async upsertMessages(batch: MessageBatch, options: { mostlyNew?: boolean } = {}): Promise<number> {
    try {
      return await this.writeBatch(batch, options.mostlyNew === true);
    } finally {
      batch.release();
    }
  }

  private async writeBatch(batch: MessageBatch, mostlyNew: boolean): Promise<number> {
    const { snapshots, tombstones } = batch;
    if (!mostlyNew || this.lastBatchMetStoredRows) {
      const stored = (await this.mergeMessages(snapshots.all())) + (await this.mergeMessages(tombstones.all()));
      // Every row was new (or changed): worth trying the fast way again.
      if (mostlyNew) this.lastBatchMetStoredRows = stored < batch.size;
      return stored;
    }
    await this.client.query('SAVEPOINT direct_copy');
    let copied: number;
    try {
      copied = await this.copy(`COPY messages (${MESSAGE_COPY_COLUMNS}) FROM STDIN`, snapshots.all());
      await this.client.query('RELEASE SAVEPOINT direct_copy');
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      await this.client.query('ROLLBACK TO SAVEPOINT direct_copy');
      this.lastBatchMetStoredRows = true;
      copied = await this.mergeMessages(snapshots.all());
    }
    return copied + (await this.mergeMessages(tombstones.all()));
  }

  private async mergeMessages(copyData: Buffer[]): Promise<number> {
    if (copyData.length === 0) return 0;
    if (!this.stagingReady) {
      await this.client.query(CREATE_STAGING);
      this.stagingReady = true;
    }
    await this.copy(`COPY message_staging (${MESSAGE_COPY_COLUMNS}) FROM STDIN`, copyData);
    const result = await this.client.query(MERGE_STAGING);
    await this.client.query('TRUNCATE message_staging');
    return result.rowCount ?? 0;
  }

  private async copy(statement: string, copyData: Buffer[]): Promise<number> {
    const stream = this.client.query(copyFrom(statement));
    await pipeline(Readable.from(copyData), stream);
    return stream.rowCount;
  }

  /**
   * Applies a message as an event reports it (new, or changed). A new row
   * takes every fact; an existing one keeps its reply and reaction totals
   * unless the event states them, because events about a message's text do
   * not repeat them. Returns whether the row was new, and whether it changed.
   */
  async recordMessageEvent(record: MessageRecord, source: MessageSource, facts: MessageEventFacts): Promise<{ inserted: boolean; changed: boolean }> {
    const reactions = JSON.stringify(record.reactions);
    const inserted = await this.query(
      `INSERT INTO messages (channel_id, ts, team_id, user_id, bot_id, thread_ts, subtype, posted_at, is_bot, reply_count,
         latest_reply_ts, reaction_count, reactions, reactors, file_count, text, edited_at, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $18::timestamptz, $8, $9, $10, $11, $12::jsonb, $13::text[], $14, $15,
         $16::timestamptz, $17)
       ON CONFLICT (channel_id, ts) DO NOTHING
       RETURNING ts`,
      [
        record.channelId,
        record.ts,
        record.teamId,
        record.userId,
        record.botId,
        record.threadTs,
        record.subtype,
        record.isBot,
        record.replyCount,
        record.latestReplyTs,
        reactionCount(record.reactions),
        reactions,
        reactorsOf(record.reactions),
        record.fileCount,
        record.text,
        record.editedTs === null ? null : timestampOfTs(record.editedTs),
        source,
        timestampOfTs(record.ts),
      ],
    );
    if (inserted.length > 0) return { inserted: true, changed: true };
    const changed = await this.execute(
      `UPDATE messages m SET
         team_id = $3, user_id = $4, bot_id = $5, thread_ts = COALESCE($6, m.thread_ts), subtype = $7, is_bot = $8,
         file_count = $9, text = $10, edited_at = GREATEST(m.edited_at, $11::timestamptz),
         reply_count = CASE WHEN $12 THEN $13 ELSE m.reply_count END,
         latest_reply_ts = CASE WHEN $12 THEN $14 ELSE m.latest_reply_ts END,
         reaction_count = CASE WHEN $15 THEN $16 ELSE m.reaction_count END,
         reactions = CASE WHEN $15 THEN $17::jsonb ELSE m.reactions END,
         reactors = CASE WHEN $15 THEN $18::text[] ELSE m.reactors END,
         source = $19, updated_at = now()
       WHERE channel_id = $1 AND ts = $2
         AND (m.team_id, m.user_id, m.bot_id, m.thread_ts, m.subtype, m.is_bot, m.file_count, m.text, m.edited_at,
              m.reply_count, m.latest_reply_ts, m.reaction_count, m.reactions, m.reactors)
           IS DISTINCT FROM
             ($3, $4, $5, COALESCE($6, m.thread_ts), $7, $8, $9, $10, GREATEST(m.edited_at, $11::timestamptz),
              CASE WHEN $12 THEN $13 ELSE m.reply_count END, CASE WHEN $12 THEN $14 ELSE m.latest_reply_ts END,
              CASE WHEN $15 THEN $16 ELSE m.reaction_count END, CASE WHEN $15 THEN $17::jsonb ELSE m.reactions END,
              CASE WHEN $15 THEN $18::text[] ELSE m.reactors END)`,
      [
        record.channelId,
        record.ts,
        record.teamId,
        record.userId,
        record.botId,
        record.threadTs,
        record.subtype,
        record.isBot,
        record.fileCount,
        record.text,
        record.editedTs === null ? null : timestampOfTs(record.editedTs),
        facts.hasThreadInfo,
        record.replyCount,
        record.latestReplyTs,
        facts.hasReactions,
        reactionCount(record.reactions),
        reactions,
        reactorsOf(record.reactions),
        source,
      ],
    );
    return { inserted: false, changed: changed > 0 };
  }

  /**
   * Counts a reply the store has just seen for the first time on its thread
   * parent (if stored): one more reply, a newer latest reply, and the parent
   * marked as a thread (Slack sets thread_ts = ts on a parent).
   */
  async countNewReply(reply: MessageRecord): Promise<void> {
    if (!isThreadReply(reply)) return;
    const [parent] = await this.query<{ latest_reply_ts: string | null }>(
      `SELECT latest_reply_ts FROM messages WHERE channel_id = $1 AND ts = $2 FOR UPDATE`,
      [reply.channelId, reply.threadTs],
    );
    if (!parent) return;
    const latest = parent.latest_reply_ts === null || compareTs(reply.ts, parent.latest_reply_ts) > 0 ? reply.ts : parent.latest_reply_ts;
    await this.query(
      `UPDATE messages SET reply_count = LEAST(reply_count::bigint + 1, $4)::int, latest_reply_ts = $3, thread_ts = ts, updated_at = now()
       WHERE channel_id = $1 AND ts = $2`,
      [reply.channelId, reply.threadTs, latest, MAX_STORED_COUNT],
    );
  }

  /**
   * Marks a message deleted at `deletedTs`; the row stays so that history
   * keeps its shape. A stored reply that was not yet deleted is taken off its
   * parent's reply count.
   */
  async markDeleted(channelId: string, ts: string, deletedTs: string): Promise<DeletionOutcome> {
    const [deleted] = await this.query<{ thread_ts: string | null }>(
      `UPDATE messages SET deleted_at = $3::timestamptz, updated_at = now()
       WHERE channel_id = $1 AND ts = $2 AND deleted_at IS NULL
       RETURNING thread_ts`,
      [channelId, ts, timestampOfTs(deletedTs)],
    );
    if (!deleted) {
      const [known] = await this.query(`SELECT 1 FROM messages WHERE channel_id = $1 AND ts = $2`, [channelId, ts]);
      return known ? 'already-deleted' : 'unknown-message';
    }
    if (deleted.thread_ts !== null && deleted.thread_ts !== ts) {
      await this.execute(
        `UPDATE messages SET reply_count = reply_count - 1, updated_at = now() WHERE channel_id = $1 AND ts = $2 AND reply_count > 0`,
        [channelId, deleted.thread_ts],
      );
    }
    return 'deleted';
  }

  async addReaction(channelId: string, ts: string, name: string, user: string): Promise<ReactionChange> {
    requireSlackId(user, 'reacting user id');
    return this.changeReactions(channelId, ts, (reactions) => withReactionAdded(reactions, name, user));
  }

  async removeReaction(channelId: string, ts: string, name: string, user: string): Promise<ReactionChange> {
    requireSlackId(user, 'reacting user id');
    return this.changeReactions(channelId, ts, (reactions) => withReactionRemoved(reactions, name, user));
  }

  private async changeReactions(
    channelId: string,
    ts: string,
    change: (reactions: MessageReaction[]) => MessageReaction[] | undefined,
  ): Promise<ReactionChange> {
    requireSlackId(channelId, 'channel id');
    const [stored] = await this.query<StoredReactions>(`SELECT reactions FROM messages WHERE channel_id = $1 AND ts = $2 FOR UPDATE`, [
      channelId,
      ts,
    ]);
    if (!stored) return 'unknown-message';
    const reactions = change(stored.reactions);
    if (!reactions) return 'unchanged';
    await this.query(
      `UPDATE messages SET reactions = $3::jsonb, reaction_count = $4, reactors = $5::text[], updated_at = now()
       WHERE channel_id = $1 AND ts = $2`,
      [channelId, ts, JSON.stringify(reactions), reactionCount(reactions), reactorsOf(reactions)],
    );
    return 'changed';
  }

  /** Records an Events API delivery; false when its event_id was already applied. */
  async claimEvent(eventId: string, teamId: string | null, eventType: string): Promise<boolean> {
    requireSlackId(eventId, 'event id');
    if (teamId !== null) requireSlackId(teamId, `workspace id of event ${eventId}`);
    const rows = await this.query(
      `INSERT INTO processed_events (event_id, team_id, event_type) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [eventId, teamId, eventType],
    );
    return rows.length > 0;
  }
}
