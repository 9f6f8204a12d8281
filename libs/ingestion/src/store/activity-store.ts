import type { MessageReaction, MessageSource } from '@app/db';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { DataSource, QueryRunner } from 'typeorm';
import { MessageBatch } from './message-batch';
import {
  EVENT_INSERT,
  EVENT_UPDATE,
  eventInsertParameters,
  eventUpdateParameters,
  MESSAGE_COLUMN_DEFINITIONS,
  MESSAGE_COPY_COLUMNS,
  MessageEventFacts,
  SNAPSHOT_MERGE,
} from './message-columns';
import {
  ChannelRecord,
  compareTs,
  MAX_STORED_COUNT,
  MessageRecord,
  reactionCount,
  reactorsOf,
  requireSlackId,
  threadParentTs,
  timestampOfTs,
  UserRecord,
  WorkspaceRecord,
} from '../records';

/**
 * Staged rows are merged with one INSERT … SELECT per batch: the way into an
 * indexed table that lets a conflict update the existing row. `ON COMMIT
 * DELETE ROWS` empties it when a transaction ends, whichever way; `ordinal`
 * numbers rows in COPY order, so of a message staged twice the later wins.
 */
const CREATE_STAGING = `
  CREATE TEMP TABLE IF NOT EXISTS message_staging (
    ${MESSAGE_COLUMN_DEFINITIONS},
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
  ON CONFLICT (channel_id, ts) DO UPDATE ${SNAPSHOT_MERGE}`;

/** PostgreSQL's unique_violation: a COPY of rows assumed new met a stored one. */
const UNIQUE_VIOLATION = '23505';

export type ReactionChange = 'changed' | 'unchanged' | 'unknown-message';
export type DeletionOutcome = 'deleted' | 'already-deleted' | 'unknown-message';

interface StoredReactions {
  reactions: MessageReaction[];
}

/** How far the collector got in one channel (`channel_sync_state`). */
export interface ChannelSyncState {
  /** Newest message ts fully collected; the next walk asks only for newer ones. */
  newestTs: string | null;
  /** Resume point inside an unfinished walk. */
  pendingCursor: string | null;
  /** The unfinished walk's newest ts, which becomes the mark once it completes. */
  pendingNewestTs: string | null;
}

/** The new reaction list after `user` added `name`, or undefined when it already counted. */
export function withReactionAdded(reactions: MessageReaction[], name: string, user: string): MessageReaction[] | undefined {
  const existing = reactions.find((reaction) => reaction.name === name);
  if (!existing) return [...reactions, { name, count: 1, users: [user] }];
  if (existing.users.includes(user)) return undefined;
  return reactions.map((reaction) =>
    reaction === existing ? { name, count: reaction.count + 1, users: [...reaction.users, user] } : reaction,
  );
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
 * The connection a query runner holds. `QueryRunner.connect()` is TypeORM's
 * public way to it and answers with the driver's own connection, typed `any`:
 * for PostgreSQL a node-postgres client, which the COPY of a batch needs
 * (pg-copy-streams). Checked rather than assumed, so that a driver that hands
 * out something else fails here, by name, at the first write.
 */
async function nodePostgresConnection(runner: QueryRunner): Promise<Client> {
  const connection: unknown = await runner.connect();
  if (!(connection instanceof Client))
    throw new Error('the DataSource handed out a connection that is not a node-postgres client; the store needs one for COPY');
  return connection;
}

/**
 * The one way into the raw tables (workspaces, channels, users, messages,
 * channel_sync_state, processed_events), shared by the collector, the Events
 * API applier and the export importer, so that a message is the same row
 * whichever source saw it; it also answers the few reads a source decides by. Every method runs inside the transaction the store
 * was opened with. Every id it writes must be a Slack id (InvalidRecordError
 * otherwise, before any statement): the sources check ids as they read them,
 * and this is where a missed one stops.
 */
export class ActivityStore {
  private stagingReady = false;
  private lastBatchMetStoredRows = false;

  private constructor(private readonly client: Client) {}

  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  static async transaction<T>(dataSource: DataSource, work: (store: ActivityStore) => Promise<T>): Promise<T> {
    const runner = dataSource.createQueryRunner();
    try {
      const client = await nodePostgresConnection(runner);
      await runner.startTransaction();
      try {
        const result = await work(new ActivityStore(client));
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
  private async query<T extends object = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<T[]> {
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
      `INSERT INTO users AS u (id, team_id, name, real_name, is_bot, is_deleted, is_restricted, is_ultra_restricted, tz)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::boolean[], $8::boolean[], $9::text[])
       ON CONFLICT (id) DO UPDATE SET
         team_id = EXCLUDED.team_id,
         name = EXCLUDED.name,
         real_name = EXCLUDED.real_name,
         is_bot = EXCLUDED.is_bot,
         is_deleted = EXCLUDED.is_deleted,
         is_restricted = EXCLUDED.is_restricted,
         is_ultra_restricted = EXCLUDED.is_ultra_restricted,
         tz = EXCLUDED.tz,
         updated_at = CASE WHEN (u.is_bot, u.is_deleted) IS DISTINCT FROM (EXCLUDED.is_bot, EXCLUDED.is_deleted) THEN now() ELSE u.updated_at END
       WHERE (u.team_id, u.name, u.real_name, u.is_bot, u.is_deleted, u.is_restricted, u.is_ultra_restricted, u.tz) IS DISTINCT FROM
             (EXCLUDED.team_id, EXCLUDED.name, EXCLUDED.real_name, EXCLUDED.is_bot, EXCLUDED.is_deleted, EXCLUDED.is_restricted, EXCLUDED.is_ultra_restricted, EXCLUDED.tz)`,
      [
        users.map((user) => user.id),
        users.map((user) => user.teamId),
        users.map((user) => user.name),
        users.map((user) => user.realName),
        users.map((user) => user.isBot),
        users.map((user) => user.isDeleted),
        users.map((user) => user.isRestricted),
        users.map((user) => user.isUltraRestricted),
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
  async recordMessageEvent(
    record: MessageRecord,
    source: MessageSource,
    facts: MessageEventFacts,
  ): Promise<{ inserted: boolean; changed: boolean }> {
    const inserted = await this.query(EVENT_INSERT, eventInsertParameters(record, source));
    if (inserted.length > 0) return { inserted: true, changed: true };
    const changed = await this.execute(EVENT_UPDATE, eventUpdateParameters(record, source, facts));
    return { inserted: false, changed: changed > 0 };
  }

  /**
   * Counts a reply the store has just seen for the first time on its thread
   * parent (if stored): one more reply, a newer latest reply, and the parent
   * marked as a thread (Slack sets thread_ts = ts on a parent).
   */
  async countNewReply(reply: MessageRecord): Promise<void> {
    const parentTs = threadParentTs(reply);
    if (parentTs === null) return;
    const [parent] = await this.query<{ latest_reply_ts: string | null }>(
      `SELECT latest_reply_ts FROM messages WHERE channel_id = $1 AND ts = $2 FOR UPDATE`,
      [reply.channelId, parentTs],
    );
    if (!parent) return;
    const latest = parent.latest_reply_ts === null || compareTs(reply.ts, parent.latest_reply_ts) > 0 ? reply.ts : parent.latest_reply_ts;
    await this.query(
      `UPDATE messages SET reply_count = LEAST(reply_count::bigint + 1, $4)::int, latest_reply_ts = $3, thread_ts = ts, updated_at = now()
       WHERE channel_id = $1 AND ts = $2`,
      [reply.channelId, parentTs, latest, MAX_STORED_COUNT],
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

  /** The latest reply stored for each of `threadTs` (thread parents of one channel) that is stored. */
  async storedLatestReplies(channelId: string, threadTs: string[]): Promise<Map<string, string | null>> {
    const rows = await this.query<{ ts: string; latest_reply_ts: string | null }>(
      `SELECT ts, latest_reply_ts FROM messages WHERE channel_id = $1 AND ts = ANY($2::text[])`,
      [channelId, threadTs],
    );
    return new Map(rows.map((row) => [row.ts, row.latest_reply_ts]));
  }

  /** Where the collector stands in a channel; undefined before its first visit. */
  async syncState(channelId: string): Promise<ChannelSyncState | undefined> {
    const [state] = await this.query<{ newest_ts: string | null; pending_cursor: string | null; pending_newest_ts: string | null }>(
      `SELECT newest_ts, pending_cursor, pending_newest_ts FROM channel_sync_state WHERE channel_id = $1`,
      [channelId],
    );
    return state && { newestTs: state.newest_ts, pendingCursor: state.pending_cursor, pendingNewestTs: state.pending_newest_ts };
  }

  /**
   * Records a history page of a channel's walk as collected: with the cursor of
   * the next page while the walk goes on, or, once it has reached its end, the
   * walk's newest ts as the new mark (a walk that found nothing keeps the old one).
   */
  async saveSyncProgress(channelId: string, progress: { nextCursor: string | null; walkNewestTs: string | null }): Promise<void> {
    requireSlackId(channelId, 'channel id');
    if (progress.nextCursor === null) {
      await this.query(
        `INSERT INTO channel_sync_state AS s (channel_id, newest_ts, last_run_at, last_success_at) VALUES ($1, $2, now(), now())
         ON CONFLICT (channel_id) DO UPDATE SET newest_ts = COALESCE($2, s.newest_ts), pending_cursor = NULL, pending_newest_ts = NULL,
           last_run_at = now(), last_success_at = now(), last_error = NULL, last_error_at = NULL`,
        [channelId, progress.walkNewestTs],
      );
      return;
    }
    await this.query(
      `INSERT INTO channel_sync_state AS s (channel_id, pending_cursor, pending_newest_ts, last_run_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (channel_id) DO UPDATE SET pending_cursor = $2, pending_newest_ts = $3, last_run_at = now()`,
      [channelId, progress.nextCursor, progress.walkNewestTs],
    );
  }

  /** Records why Slack refused a channel's history; the walk's progress is kept for the next run. */
  async recordSyncError(channelId: string, error: string): Promise<void> {
    requireSlackId(channelId, 'channel id');
    await this.query(
      `INSERT INTO channel_sync_state (channel_id, last_run_at, last_error, last_error_at) VALUES ($1, now(), $2, now())
       ON CONFLICT (channel_id) DO UPDATE SET last_run_at = now(), last_error = $2, last_error_at = now()`,
      [channelId, error],
    );
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
