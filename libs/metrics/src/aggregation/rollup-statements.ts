import { ACTIVITY_WINDOW_DAYS } from '@app/db';
import { isBotMessage, isHumanUserId, isMessage, isThreadReply, localDay, localHour } from '../definitions';

/**
 * The set-based statements of one aggregation run. Every statement binds the
 * time zone as `$1`. A run covers either every day (`all`) or the days listed
 * in the temporary table `scope_days` (`days`); rows of the days in scope are
 * deleted and rebuilt from raw messages inside one transaction, so re-running
 * a range gives identical rows and readers never see a half-written day.
 *
 * Raw messages are read once, into the temporary `run_messages`; every
 * rollup is computed from it.
 */
export type RollupScope = 'all' | 'days';

export const ROLLUP_TABLES = [
  'channel_day_rollups',
  'thread_rollups',
  'member_channel_day_rollups',
  'member_day_rollups',
  'team_activity_rollups',
  'team_hour_rollups',
] as const;

/** Days a partial run rebuilds; `$1` is a date[]. */
export const CREATE_SCOPE_DAYS = `CREATE TEMPORARY TABLE scope_days ON COMMIT DROP AS SELECT day FROM unnest($1::date[]) AS listed(day)`;

/** The same days as runs of consecutive days, with their bounds in time (zone `$1`). */
export const CREATE_SCOPE_RANGES = `
  CREATE TEMPORARY TABLE scope_ranges ON COMMIT DROP AS
  SELECT (min(day)::timestamp AT TIME ZONE $1) AS starts_at, ((max(day) + 1)::timestamp AT TIME ZONE $1) AS ends_at
  FROM (SELECT day, day - (row_number() OVER (ORDER BY day))::int AS run FROM scope_days) numbered
  GROUP BY run`;

/**
 * Messages in scope, aliased `alias`. For a partial run, one index range
 * scan on posted_at per run of days (OFFSET 0 keeps the planner from turning
 * the ranges into a join over every message).
 */
function messagesInScope(scope: RollupScope, alias: string): string {
  if (scope === 'all') return `messages ${alias}`;
  return `scope_ranges scope CROSS JOIN LATERAL (
      SELECT * FROM messages WHERE posted_at >= scope.starts_at AND posted_at < scope.ends_at OFFSET 0
    ) ${alias}`;
}

interface RollupTable {
  keys: readonly string[];
  values: readonly string[];
}

/** Each rollup table's key and value columns; `next_<table>` holds a run's new rows with the same columns. */
export const ROLLUP_COLUMNS: Record<(typeof ROLLUP_TABLES)[number], RollupTable> = {
  channel_day_rollups: {
    keys: ['channel_id', 'day'],
    values: ['team_id', 'messages', 'human_messages', 'thread_replies', 'threads_started', 'reactions', 'last_message_at'],
  },
  thread_rollups: { keys: ['channel_id', 'day', 'thread_ts'], values: ['team_id', 'first_reply_seconds'] },
  member_channel_day_rollups: { keys: ['user_id', 'day', 'channel_id'], values: ['team_id', 'messages', 'reactions_added'] },
  member_day_rollups: { keys: ['day', 'team_id', 'user_id'], values: ['messages', 'reactions_added', 'channels'] },
  team_activity_rollups: { keys: ['team_id', 'day'], values: ['dau', 'wau', 'mau'] },
  team_hour_rollups: { keys: ['team_id', 'day', 'hour'], values: ['messages'] },
};

/**
 * Where a rollup statement's rows go: on a full run straight into the
 * emptied rollup table (no second copy); on a partial run into the temporary
 * `next_<table>`, which applyStatements compares with the stored rows.
 */
function writeInto(table: (typeof ROLLUP_TABLES)[number], scope: RollupScope, select: string): string {
  if (scope === 'days') return `CREATE TEMPORARY TABLE next_${table} ON COMMIT DROP AS ${select}`;
  const columns = [...ROLLUP_COLUMNS[table].keys, ...ROLLUP_COLUMNS[table].values].join(', ');
  return `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM (${select}) computed`;
}

/** The run's new rows of a rollup table, as written by writeInto. */
function newRows(table: (typeof ROLLUP_TABLES)[number], scope: RollupScope): string {
  return scope === 'days' ? `next_${table}` : table;
}

export const TRUNCATE_ROLLUPS = `TRUNCATE ${ROLLUP_TABLES.join(', ')}`;

/** Days whose rows a partial run replaces, per table; team_activity_rollups covers the days `$1`..`$2`. */
export function replacedDays(table: (typeof ROLLUP_TABLES)[number]): string {
  return table === 'team_activity_rollups' ? 'day BETWEEN $1::date AND $2::date' : 'day IN (SELECT day FROM scope_days)';
}

/**
 * Moves a partial run's `next_<table>` into the table (a full run has
 * written its rows already, see writeInto). Only differences are written:
 * rows of the replaced days that are gone or changed are deleted, and rows
 * not present are inserted, so re-counting an unchanged day writes nothing.
 */
export function applyStatements(table: (typeof ROLLUP_TABLES)[number]): string[] {
  const { keys, values } = ROLLUP_COLUMNS[table];
  const columns = [...keys, ...values].join(', ');
  const sameKey = keys.map((key) => `next.${key} = kept.${key}`).join(' AND ');
  const row = (alias: string) => `(${values.map((value) => `${alias}.${value}`).join(', ')})`;
  return [
    `DELETE FROM ${table} kept WHERE ${replacedDays(table).replace(/\bday\b/, 'kept.day')}
       AND NOT EXISTS (SELECT 1 FROM next_${table} next WHERE ${sameKey} AND ${row('next')} IS NOT DISTINCT FROM ${row('kept')})`,
    `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM next_${table} next
       WHERE NOT EXISTS (SELECT 1 FROM ${table} kept WHERE ${sameKey})`,
  ];
}

/**
 * The one read of raw messages: every message in scope (by the definitions)
 * with what the rollups need of it, already classified, in a narrow
 * temporary table that every rollup below is computed from. Scanning
 * `messages` (wide rows, reactions as JSON) once instead of once per rollup
 * is most of a full run's reading time. `thread_ts` is kept for thread
 * replies only, so `thread_ts IS NULL` marks a top-level message; reactions
 * are kept only when there are any. Ids take the rollups' byte-wise collation,
 * so that min(team_id) and the like compare bytes, not locale rules.
 */
export function runMessagesStatement(scope: RollupScope): string {
  return `
    CREATE TEMPORARY TABLE run_messages ON COMMIT DROP AS
    SELECT m.channel_id COLLATE "C" AS channel_id, m.team_id COLLATE "C" AS team_id, m.user_id COLLATE "C" AS user_id, m.ts,
           CASE WHEN ${isThreadReply('m')} THEN m.thread_ts END AS thread_ts,
           m.posted_at,
           ${localDay('m.posted_at')} AS day,
           ${localHour('m.posted_at')} AS hour,
           NOT ${isBotMessage('m', 'author')} AS human,
           m.reaction_count,
           CASE WHEN m.reaction_count > 0 THEN m.reactions END AS reactions
    FROM ${messagesInScope(scope, 'm')}
    LEFT JOIN users author ON author.id = m.user_id
    WHERE ${isMessage('m')}`;
}

/**
 * Threads started on the days in scope, with the time to the first reply by
 * another human. A full run has every reply in run_messages; a partial run
 * looks replies up in `messages`, since a reply may fall on a day outside
 * the scope.
 */
export function threadsStatement(scope: RollupScope): string {
  const replies =
    scope === 'all'
      ? `JOIN run_messages reply ON reply.channel_id = parent.channel_id AND reply.thread_ts = parent.ts`
      : `JOIN (
           SELECT r.channel_id, r.thread_ts, r.user_id, r.posted_at, NOT ${isBotMessage('r', 'replier')} AS human
           FROM messages r LEFT JOIN users replier ON replier.id = r.user_id
           WHERE ${isMessage('r')} AND ${isThreadReply('r')}
         ) reply ON reply.channel_id = parent.channel_id AND reply.thread_ts = parent.ts`;
  return writeInto('thread_rollups', scope, `
    SELECT parent.channel_id, parent.ts AS thread_ts, parent.team_id, parent.day,
           extract(epoch FROM min(reply.posted_at) FILTER (
             WHERE reply.human AND reply.user_id IS DISTINCT FROM parent.user_id
           ) - parent.posted_at)::double precision AS first_reply_seconds
    FROM run_messages parent
    ${replies}
    WHERE parent.thread_ts IS NULL
    GROUP BY parent.channel_id, parent.ts, parent.team_id, parent.posted_at, parent.day`);
}

export function channelDaysStatement(scope: RollupScope): string {
  return writeInto('channel_day_rollups', scope, `
    SELECT days.channel_id, days.day, days.team_id, days.messages, days.human_messages, days.thread_replies,
           coalesce(threads.started, 0) AS threads_started, days.reactions, days.last_message_at
    FROM (
      SELECT channel_id, day,
             -- min(), not a grouping key: a channel shared between workspaces may carry messages of either team
             min(team_id) AS team_id,
             count(*)::int AS messages,
             count(*) FILTER (WHERE human)::int AS human_messages,
             count(*) FILTER (WHERE thread_ts IS NOT NULL)::int AS thread_replies,
             sum(reaction_count)::bigint AS reactions,
             max(posted_at) AS last_message_at
      FROM run_messages
      GROUP BY channel_id, day
    ) days
    LEFT JOIN (
      SELECT channel_id, day, count(*)::int AS started FROM ${newRows('thread_rollups', scope)} GROUP BY channel_id, day
    ) threads USING (channel_id, day)`);
}

/**
 * Messages per workspace, day and local hour. A channel's messages count for
 * the workspace its channel day counts for, so that a workspace's heatmap
 * adds up to its channel days even in a channel shared between workspaces.
 */
export function teamHoursStatement(scope: RollupScope): string {
  return writeInto('team_hour_rollups', scope, `
    SELECT channel_day.team_id, m.day, m.hour, count(*)::int AS messages
    FROM run_messages m
    JOIN ${newRows('channel_day_rollups', scope)} channel_day USING (channel_id, day)
    GROUP BY channel_day.team_id, m.day, m.hour`);
}

/**
 * Who was active where: the human author of each message, and every human
 * listed on a reaction, with one reaction added per emoji they are listed on
 * (so every reactor of a message is there). A reaction counts on the day and
 * in the channel of the message it is on. Whether a user is human depends on
 * the user alone, so it is checked once per group rather than per activity row.
 */
export function memberChannelDaysStatement(scope: RollupScope): string {
  return writeInto('member_channel_day_rollups', scope, `
  SELECT activity.user_id, activity.channel_id, activity.day, activity.team_id, activity.messages, activity.reactions_added
  FROM (
    SELECT user_id, channel_id, day, min(team_id) AS team_id, sum(messages)::int AS messages, sum(reactions_added)::int AS reactions_added
    FROM (
      SELECT m.user_id, m.channel_id, m.day, m.team_id, 1 AS messages, 0 AS reactions_added
      FROM run_messages m
      WHERE m.human AND m.user_id IS NOT NULL
      UNION ALL
      -- set-returning functions in the select list: no per-row function scan
      SELECT jsonb_array_elements_text(jsonb_array_elements(m.reactions) -> 'users'), m.channel_id, m.day, m.team_id, 0, 1
      FROM run_messages m
      WHERE m.reactions IS NOT NULL
    ) rows
    GROUP BY user_id, channel_id, day
  ) activity
  WHERE ${isHumanUserId('activity.user_id')}`);
}

export function memberDaysStatement(scope: RollupScope): string {
  return writeInto('member_day_rollups', scope, `
    SELECT team_id, user_id, day, sum(messages)::int AS messages, sum(reactions_added)::int AS reactions_added, count(*)::int AS channels
    FROM ${newRows('member_channel_day_rollups', scope)}
    GROUP BY team_id, user_id, day`);
}

/**
 * DAU/WAU/MAU for days `$1`..`$2` in one pass over member days, read from
 * member_day_rollups once the run has written them, since the windows reach
 * back before the days in scope. Each active day of a member opens a window
 * of 1, 7 and 28 days that ends early at the member's next active day (which
 * opens its own), so windows never overlap and a running sum of +1/-1 marks
 * counts distinct members per day.
 */
export function activityStatement(scope: RollupScope): string {
  return writeInto('team_activity_rollups', scope, `
  WITH member_days AS (
    SELECT team_id, array_agg(day) AS days
    FROM member_day_rollups
    WHERE day BETWEEN $1::date - 27 AND $2::date
    GROUP BY team_id, user_id
  ),
  -- each member's few days ordered on their own: cheaper than ordering every member day by text ids
  active AS MATERIALIZED (
    SELECT member.team_id, own.day, own.next_day
    FROM member_days member
    CROSS JOIN LATERAL (SELECT day, lead(day) OVER (ORDER BY day) AS next_day FROM unnest(member.days) AS listed(day)) own
  ),
  -- a workspace's stretches of days within 27 days of its previous active day: only there is MAU above 0
  stretches AS (
    SELECT team_id, min(day) AS first_day, max(day) + ${ACTIVITY_WINDOW_DAYS - 1} AS last_day
    FROM (
      SELECT team_id, day, count(*) FILTER (WHERE previous_day IS NULL OR day - previous_day > ${ACTIVITY_WINDOW_DAYS - 1}) OVER (PARTITION BY team_id ORDER BY day) AS stretch
      FROM (SELECT team_id, day, lag(day) OVER (PARTITION BY team_id ORDER BY day) AS previous_day FROM (SELECT DISTINCT team_id, day FROM active) team_days) ordered
    ) numbered
    GROUP BY team_id, stretch
  ),
  marks AS (
    SELECT team_id, day, 1 AS dau, 1 AS wau, 1 AS mau FROM active
    UNION ALL SELECT team_id, day + 1, -1, 0, 0 FROM active
    UNION ALL SELECT team_id, least(day + 7, next_day), 0, -1, 0 FROM active
    UNION ALL SELECT team_id, least(day + 28, next_day), 0, 0, -1 FROM active
    -- a zero mark on every day that may have members, so that days without changes still get their running
    -- total; not on every day of the range, which from a message in 1970 to one in 9999 is millions per workspace
    UNION ALL
    SELECT stretches.team_id, listed.day::date, 0, 0, 0
    FROM stretches, generate_series(greatest(stretches.first_day, $1::date), least(stretches.last_day, $2::date), interval '1 day') AS listed(day)
  ),
  running AS (
    SELECT team_id, day,
           sum(sum(dau)) OVER running_total AS dau,
           sum(sum(wau)) OVER running_total AS wau,
           sum(sum(mau)) OVER running_total AS mau
    FROM marks
    GROUP BY team_id, day
    WINDOW running_total AS (PARTITION BY team_id ORDER BY day)
  )
  SELECT team_id, day, dau::int AS dau, wau::int AS wau, mau::int AS mau
  FROM running
  WHERE day BETWEEN $1::date AND $2::date AND mau > 0`);
}
