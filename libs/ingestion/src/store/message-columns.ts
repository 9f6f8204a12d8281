import type { MessageSource } from '@app/db';
import { MessageRecord, reactionCount, reactorsOf, timestampOfTs } from '../records';
import { copyText, copyTextArray } from './copy-text';

/**
 * The columns of `messages` that the sources write, described once: name,
 * SQL type, how a record fills it (as a statement parameter and as COPY
 * text), and how a write meets a stored row. Every statement that writes
 * messages is derived from this list: the COPY column list and its lines, the
 * staging table, the snapshot merge, the event insert and update.
 * `deleted_at` and `updated_at` are not here: no source states them, the
 * statements set them. test/schema.e2e-spec.ts holds the list against the
 * migrated table.
 */

type Value = string | number | boolean | string[] | null;

/**
 * How a write meets the stored row of the same (channel_id, ts):
 * - `key`: it is the row's identity;
 * - `of-key`: it follows from the identity (posted_at from ts), so it never changes;
 * - `replace`: the new value replaces the stored one;
 * - `unless-unknown` (events only): replaces it unless the new value is NULL;
 * - `latest`: the later of both (an edit time never goes back);
 * - `label`: replaced, but not a change by itself (which source wrote last);
 * - `thread-info` / `reactions` (events only): replaced only when the event states the thread's totals / the reactions.
 */
type SnapshotRule = 'key' | 'of-key' | 'replace' | 'latest' | 'label';
type EventRule = SnapshotRule | 'unless-unknown' | 'thread-info' | 'reactions';

export interface MessageColumn {
  name: string;
  /** The SQL type of the column and of the parameters written into it. */
  type: string;
  notNull: boolean;
  /** The value as a statement parameter. */
  value(record: MessageRecord, source: MessageSource): Value;
  /** The value as a field of a COPY text line. */
  copy(record: MessageRecord, source: MessageSource): string;
  snapshot: SnapshotRule;
  event: EventRule;
}

type Read<T> = (record: MessageRecord, source: MessageSource) => T;
type Encoding = Pick<MessageColumn, 'type' | 'value' | 'copy'>;

function text(read: Read<string | null>): Encoding {
  return { type: 'text', value: read, copy: (record, source) => copyText(read(record, source)) };
}

/** Timestamps are timestampOfTs output (digits, `-`, `:`, `.`, `T`, `Z`): nothing to escape. */
function timestamptz(read: Read<string | null>): Encoding {
  return { type: 'timestamptz', value: read, copy: (record, source) => read(record, source) ?? '\\N' };
}

function boolean(read: Read<boolean>): Encoding {
  return { type: 'boolean', value: read, copy: (record, source) => (read(record, source) ? 't' : 'f') };
}

function integer(read: Read<number>): Encoding {
  return { type: 'integer', value: read, copy: (record, source) => String(read(record, source)) };
}

function jsonbArray(read: Read<unknown[]>): Encoding {
  return {
    type: 'jsonb',
    value: (record, source) => JSON.stringify(read(record, source)),
    copy: (record, source) => {
      const values = read(record, source);
      return values.length === 0 ? '[]' : copyText(JSON.stringify(values));
    },
  };
}

function textArray(read: Read<string[]>): Encoding {
  return { type: 'text[]', value: read, copy: (record, source) => copyTextArray(read(record, source)) };
}

export const MESSAGE_COLUMNS: readonly MessageColumn[] = [
  { name: 'channel_id', ...text((record) => record.channelId), notNull: true, snapshot: 'key', event: 'key' },
  { name: 'ts', ...text((record) => record.ts), notNull: true, snapshot: 'key', event: 'key' },
  { name: 'team_id', ...text((record) => record.teamId), notNull: true, snapshot: 'replace', event: 'replace' },
  { name: 'user_id', ...text((record) => record.userId), notNull: false, snapshot: 'replace', event: 'replace' },
  { name: 'bot_id', ...text((record) => record.botId), notNull: false, snapshot: 'replace', event: 'replace' },
  // An edit event may leave out the thread a message is in.
  { name: 'thread_ts', ...text((record) => record.threadTs), notNull: false, snapshot: 'replace', event: 'unless-unknown' },
  { name: 'subtype', ...text((record) => record.subtype), notNull: false, snapshot: 'replace', event: 'replace' },
  { name: 'posted_at', ...timestamptz((record) => timestampOfTs(record.ts)), notNull: true, snapshot: 'of-key', event: 'of-key' },
  { name: 'is_bot', ...boolean((record) => record.isBot), notNull: true, snapshot: 'replace', event: 'replace' },
  { name: 'reply_count', ...integer((record) => record.replyCount), notNull: true, snapshot: 'replace', event: 'thread-info' },
  { name: 'latest_reply_ts', ...text((record) => record.latestReplyTs), notNull: false, snapshot: 'replace', event: 'thread-info' },
  {
    name: 'reaction_count',
    ...integer((record) => reactionCount(record.reactions)),
    notNull: true,
    snapshot: 'replace',
    event: 'reactions',
  },
  { name: 'reactions', ...jsonbArray((record) => record.reactions), notNull: true, snapshot: 'replace', event: 'reactions' },
  { name: 'reactors', ...textArray((record) => reactorsOf(record.reactions)), notNull: true, snapshot: 'replace', event: 'reactions' },
  { name: 'file_count', ...integer((record) => record.fileCount), notNull: true, snapshot: 'replace', event: 'replace' },
  { name: 'text', ...text((record) => record.text), notNull: false, snapshot: 'replace', event: 'replace' },
  {
    name: 'edited_at',
    ...timestamptz((record) => (record.editedTs === null ? null : timestampOfTs(record.editedTs))),
    notNull: false,
    snapshot: 'latest',
    event: 'latest',
  },
  { name: 'source', ...text((_record, source) => source), notNull: true, snapshot: 'label', event: 'label' },
  // Last, as the migration that added it left it in the table. An edit event may leave it out.
  {
    name: 'author_team_id',
    ...text((record) => record.authorTeamId),
    notNull: false,
    snapshot: 'replace',
    event: 'unless-unknown',
  },
];

/** The column list of every bulk write, in the order of the COPY lines. */
export const MESSAGE_COPY_COLUMNS = MESSAGE_COLUMNS.map((column) => column.name).join(', ');

/** One message as a line of COPY text (columns in MESSAGE_COPY_COLUMNS order). */
export function messageCopyLine(record: MessageRecord, source: MessageSource): string {
  // Joined, not concatenated: join makes one flat string, where `+=` would leave a rope of some 36
  // pieces per message for the garbage collector (measurably slower on an import).
  const fields = new Array<string>(MESSAGE_COLUMNS.length);
  for (let index = 0; index < MESSAGE_COLUMNS.length; index++) fields[index] = MESSAGE_COLUMNS[index].copy(record, source);
  return `${fields.join('\t')}\n`;
}

/** The columns of a staging table that COPY lines load, each with its type and NOT NULL. */
export const MESSAGE_COLUMN_DEFINITIONS = MESSAGE_COLUMNS.map(
  (column) => `${column.name} ${column.type}${column.notNull ? ' NOT NULL' : ''}`,
).join(',\n    ');

/** The row as a snapshot leaves it: each column by its rule, `stored` and `incoming` the aliases of both rows. */
function snapshotValue(column: MessageColumn, stored: string, incoming: string): string {
  return column.snapshot === 'latest' ? `GREATEST(${stored}.${column.name}, ${incoming}.${column.name})` : `${incoming}.${column.name}`;
}

const snapshotUpdated = MESSAGE_COLUMNS.filter((column) => column.snapshot !== 'key' && column.snapshot !== 'of-key');
const snapshotCompared = snapshotUpdated.filter((column) => column.snapshot !== 'label');

/**
 * The SET and WHERE of an `INSERT … ON CONFLICT DO UPDATE` of snapshots into
 * `messages AS m`: every column by its rule, plus a deletion that is never
 * undone; the WHERE leaves rows that would not change untouched.
 */
export const SNAPSHOT_MERGE = `SET
    ${snapshotUpdated.map((column) => `${column.name} = ${snapshotValue(column, 'm', 'EXCLUDED')}`).join(',\n    ')},
    deleted_at = COALESCE(m.deleted_at, EXCLUDED.deleted_at),
    updated_at = now()
  WHERE (${snapshotCompared.map((column) => `m.${column.name}`).join(', ')}, m.deleted_at)
    IS DISTINCT FROM
        (${snapshotCompared.map((column) => snapshotValue(column, 'm', 'EXCLUDED')).join(', ')}, COALESCE(m.deleted_at, EXCLUDED.deleted_at))`;

/** `$n::type` for `column` in a statement whose parameters are the values of `columns`, in order. */
function parameter(columns: readonly MessageColumn[], column: MessageColumn): string {
  return `$${columns.indexOf(column) + 1}::${column.type}`;
}

/** A new message from an event: every column; a stored one is left to EVENT_UPDATE. */
export const EVENT_INSERT = `INSERT INTO messages (${MESSAGE_COPY_COLUMNS})
  VALUES (${MESSAGE_COLUMNS.map((column) => parameter(MESSAGE_COLUMNS, column)).join(', ')})
  ON CONFLICT (channel_id, ts) DO NOTHING
  RETURNING ts`;

/** The columns an event's update binds (posted_at follows from the key): their values, then the two facts. */
const updateColumns = MESSAGE_COLUMNS.filter((column) => column.event !== 'of-key');
const THREAD_INFO_PARAMETER = `$${updateColumns.length + 1}::boolean`;
const REACTIONS_PARAMETER = `$${updateColumns.length + 2}::boolean`;

function eventValue(column: MessageColumn): string {
  const incoming = parameter(updateColumns, column);
  switch (column.event) {
    case 'unless-unknown':
      return `COALESCE(${incoming}, m.${column.name})`;
    case 'latest':
      return `GREATEST(m.${column.name}, ${incoming})`;
    case 'thread-info':
      return `CASE WHEN ${THREAD_INFO_PARAMETER} THEN ${incoming} ELSE m.${column.name} END`;
    case 'reactions':
      return `CASE WHEN ${REACTIONS_PARAMETER} THEN ${incoming} ELSE m.${column.name} END`;
    default:
      return incoming;
  }
}

const eventUpdated = updateColumns.filter((column) => column.event !== 'key');
const eventCompared = eventUpdated.filter((column) => column.event !== 'label');
const keyCondition = updateColumns
  .filter((column) => column.event === 'key')
  .map((column) => `${column.name} = ${parameter(updateColumns, column)}`)
  .join(' AND ');

/** A stored message as an event reports it: each column by its event rule; a row that would not change is left untouched. */
export const EVENT_UPDATE = `UPDATE messages m SET
    ${eventUpdated.map((column) => `${column.name} = ${eventValue(column)}`).join(',\n    ')},
    updated_at = now()
  WHERE ${keyCondition}
    AND (${eventCompared.map((column) => `m.${column.name}`).join(', ')})
      IS DISTINCT FROM
        (${eventCompared.map((column) => eventValue(column)).join(', ')})`;

/** What an event says about a message beyond its content. */
export interface MessageEventFacts {
  /** The payload carries reply_count/latest_reply (a thread parent's update), so they replace the stored ones. */
  hasThreadInfo: boolean;
  /** The payload carries its reactions, so they replace the stored ones. */
  hasReactions: boolean;
}

export function eventInsertParameters(record: MessageRecord, source: MessageSource): Value[] {
  return MESSAGE_COLUMNS.map((column) => column.value(record, source));
}

export function eventUpdateParameters(record: MessageRecord, source: MessageSource, facts: MessageEventFacts): Value[] {
  return [...updateColumns.map((column) => column.value(record, source)), facts.hasThreadInfo, facts.hasReactions];
}
