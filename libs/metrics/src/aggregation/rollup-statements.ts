import { ACTIVITY_WINDOW_DAYS, NUMBER_SET_BLOCK_BITS, numberSet, numberSetWidths } from '@app/db';
import { isBotMessage, isHumanUserId, isMessage, isThreadReply, localDay, localHour } from '../definitions';

/**
 * The set-based statements of one aggregation run, as `{ sql, params }`
 * values: each binds its own parameters, numbered from `$1`. Rows of the days
 * a run covers are deleted and rebuilt from raw messages inside one
 * transaction, so re-running a range gives identical rows and readers never
 * see a half-written day.
 *
 * Raw messages are read once, into the temporary `run_messages` (the one
 * statement that binds the time zone, for day and hour); every rollup is
 * computed from it. A full run and a partial run compute the same rollups;
 * they differ in what they read and where the rows go (see RunShape).
 */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export function statement(sql: string, ...params: unknown[]): Statement {
  return { sql, params };
}

export const ROLLUP_TABLES = [
  'channel_day_rollups',
  'thread_rollups',
  'member_channel_day_rollups',
  'member_day_rollups',
  'team_activity_rollups',
  'team_hour_rollups',
  'member_first_days',
  'team_day_rollups',
] as const;

export type RollupTable = (typeof ROLLUP_TABLES)[number];

interface RollupColumns {
  keys: readonly string[];
  values: readonly string[];
}

/** Each rollup table's key and value columns; `next_<table>` holds a partial run's new rows with the same columns. */
export const ROLLUP_COLUMNS: Record<RollupTable, RollupColumns> = {
  channel_day_rollups: {
    keys: ['team_id', 'channel_id', 'day'],
    values: ['messages', 'human_messages', 'thread_replies', 'threads_started', 'reactions', 'last_message_at'],
  },
  thread_rollups: {
    keys: ['team_id', 'channel_id', 'day', 'thread_ts'],
    values: ['first_reply_seconds', 'starter_user_id', 'starter_team_id'],
  },
  member_channel_day_rollups: {
    keys: ['team_id', 'user_id', 'day', 'channel_id'],
    values: ['messages', 'reactions_added', 'author_team_id'],
  },
  member_day_rollups: { keys: ['day', 'team_id', 'user_id'], values: ['messages', 'reactions_added', 'channels', 'author_team_id'] },
  team_activity_rollups: { keys: ['team_id', 'day'], values: ['dau', 'wau', 'mau'] },
  team_hour_rollups: { keys: ['team_id', 'day', 'hour'], values: ['messages'] },
  member_first_days: { keys: ['team_id', 'user_id'], values: ['first_day'] },
  team_day_rollups: {
    keys: ['team_id', 'day'],
    values: ['messages', 'human_messages', 'thread_replies', 'threads_started', 'reactions', 'channels', 'members'],
  },
};

function columnList(table: RollupTable): string {
  return [...ROLLUP_COLUMNS[table].keys, ...ROLLUP_COLUMNS[table].values].join(', ');
}

/** What a full run and a partial run do differently; the rollups' SELECTs are the same for both. */
export interface RunShape {
  /** The messages the run reads, as a FROM item aliased `alias`. */
  messages(alias: string): string;
  /** The thread replies a thread's first reply is looked for in, as a FROM item with a `human` column. */
  readonly replies: string;
  /** The statement that writes the rows `select` computes for `table`. */
  write(table: RollupTable, select: string): Statement;
  /** Where the run's new rows of `table` are once written, for the rollups computed from them. */
  rows(table: RollupTable): string;
}

/**
 * Every day: every message, and the rows straight into the emptied rollup
 * tables (no second copy). Every reply is in run_messages.
 */
export const FULL_RUN: RunShape = {
  messages: (alias) => `messages ${alias}`,
  replies: 'run_messages',
  write: (table, select) => statement(`INSERT INTO ${table} (${columnList(table)}) SELECT ${columnList(table)} FROM (${select}) computed`),
  rows: (table) => table,
};

/**
 * The days listed in the temporary `scope_days`: one index range scan on
 * posted_at per run of days (OFFSET 0 keeps the planner from turning the
 * ranges into a join over every message), and the rows into the temporary
 * `next_<table>`, which applyNewRows compares with the stored rows. A reply
 * may fall on a day outside the scope, so replies are looked up in `messages`.
 */
export const PARTIAL_RUN: RunShape = {
  messages: (alias) => `scope_ranges scope CROSS JOIN LATERAL (
      SELECT * FROM messages WHERE posted_at >= scope.starts_at AND posted_at < scope.ends_at OFFSET 0
    ) ${alias}`,
  replies: `(
      SELECT r.channel_id, r.thread_ts, r.user_id, r.posted_at, NOT ${isBotMessage('r', 'replier')} AS human
      FROM messages r LEFT JOIN users replier ON replier.id = r.user_id
      WHERE ${isMessage('r')} AND ${isThreadReply('r')}
    )`,
  write: (table, select) => statement(`CREATE TEMPORARY TABLE next_${table} ON COMMIT DROP AS ${select}`),
  rows: (table) => `next_${table}`,
};

export const TRUNCATE_ROLLUPS = statement(`TRUNCATE ${ROLLUP_TABLES.join(', ')}`);

/** The days a partial run rebuilds. */
export function scopeDaysStatement(days: readonly string[]): Statement {
  return statement(`CREATE TEMPORARY TABLE scope_days ON COMMIT DROP AS SELECT day FROM unnest($1::date[]) AS listed(day)`, days);
}

/** The same days as runs of consecutive days, with their bounds in time in `timezone`. */
export function scopeRangesStatement(timezone: string): Statement {
  return statement(
    `CREATE TEMPORARY TABLE scope_ranges ON COMMIT DROP AS
     SELECT (min(day)::timestamp AT TIME ZONE $1) AS starts_at, ((max(day) + 1)::timestamp AT TIME ZONE $1) AS ends_at
     FROM (SELECT day, day - (row_number() OVER (ORDER BY day))::int AS run FROM scope_days) numbered
     GROUP BY run`,
    timezone,
  );
}

/** Which stored rows of a table, aliased `kept`, a partial run replaces. */
export const KEPT_ROWS_OF_SCOPE_DAYS = statement('kept.day IN (SELECT day FROM scope_days)');

export function keptRowsBetween(from: string, to: string): Statement {
  return statement('kept.day BETWEEN $1::date AND $2::date', from, to);
}

/**
 * Moves a partial run's `next_<table>` into the table. Only differences are
 * written: `removeChanged` deletes the `replaced` rows that are gone or
 * changed, `insertNew` inserts the rows not present, so re-counting an
 * unchanged day writes nothing.
 */
export function applyNewRows(table: RollupTable, replaced: Statement): { removeChanged: Statement; insertNew: Statement } {
  const { keys, values } = ROLLUP_COLUMNS[table];
  const sameKey = keys.map((key) => `next.${key} = kept.${key}`).join(' AND ');
  const row = (alias: string) => `(${values.map((value) => `${alias}.${value}`).join(', ')})`;
  return {
    removeChanged: statement(
      `DELETE FROM ${table} kept WHERE ${replaced.sql}
         AND NOT EXISTS (SELECT 1 FROM next_${table} next WHERE ${sameKey} AND ${row('next')} IS NOT DISTINCT FROM ${row('kept')})`,
      ...replaced.params,
    ),
    insertNew: statement(
      `INSERT INTO ${table} (${columnList(table)}) SELECT ${columnList(table)} FROM next_${table} next
         WHERE NOT EXISTS (SELECT 1 FROM ${table} kept WHERE ${sameKey})`,
    ),
  };
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
export function runMessagesStatement(shape: RunShape, timezone: string): Statement {
  return statement(
    `
    CREATE TEMPORARY TABLE run_messages ON COMMIT DROP AS
    SELECT m.channel_id COLLATE "C" AS channel_id, m.team_id COLLATE "C" AS team_id, m.user_id COLLATE "C" AS user_id, m.ts,
           m.author_team_id COLLATE "C" AS author_team_id,
           CASE WHEN ${isThreadReply('m')} THEN m.thread_ts END AS thread_ts,
           m.posted_at,
           ${localDay('m.posted_at')} AS day,
           ${localHour('m.posted_at')} AS hour,
           NOT ${isBotMessage('m', 'author')} AS human,
           m.reaction_count,
           CASE WHEN m.reaction_count > 0 THEN m.reactions END AS reactions
    FROM ${shape.messages('m')}
    LEFT JOIN users author ON author.id = m.user_id
    WHERE ${isMessage('m')}`,
    timezone,
  );
}

/**
 * Threads started on the days in scope, with the time to the first reply by
 * another human, and who started them (humans only) with their team as the
 * message carries it, so that the API can tell threads of members, guests and
 * external people apart by the starter's current profile.
 */
export function threadsStatement(shape: RunShape): Statement {
  return shape.write(
    'thread_rollups',
    `
    SELECT parent.channel_id, parent.ts AS thread_ts, parent.team_id, parent.day,
           extract(epoch FROM min(reply.posted_at) FILTER (
             WHERE reply.human AND reply.user_id IS DISTINCT FROM parent.user_id
           ) - parent.posted_at)::double precision AS first_reply_seconds,
           CASE WHEN parent.human THEN parent.user_id END AS starter_user_id,
           CASE WHEN parent.human THEN parent.author_team_id END AS starter_team_id
    FROM run_messages parent
    JOIN ${shape.replies} reply ON reply.channel_id = parent.channel_id AND reply.thread_ts = parent.ts
    WHERE parent.thread_ts IS NULL
    GROUP BY parent.channel_id, parent.ts, parent.team_id, parent.posted_at, parent.day, parent.human, parent.user_id, parent.author_team_id`,
  );
}

export function channelDaysStatement(shape: RunShape): Statement {
  return shape.write(
    'channel_day_rollups',
    `
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
      SELECT channel_id, day, count(*)::int AS started FROM ${shape.rows('thread_rollups')} GROUP BY channel_id, day
    ) threads USING (channel_id, day)`,
  );
}

/**
 * Messages per workspace, day and local hour. A channel's messages count for
 * the workspace its channel day counts for, so that a workspace's heatmap
 * adds up to its channel days even in a channel shared between workspaces.
 */
export function teamHoursStatement(shape: RunShape): Statement {
  return shape.write(
    'team_hour_rollups',
    `
    SELECT channel_day.team_id, m.day, m.hour, count(*)::int AS messages
    FROM run_messages m
    JOIN ${shape.rows('channel_day_rollups')} channel_day USING (channel_id, day)
    GROUP BY channel_day.team_id, m.day, m.hour`,
  );
}

/**
 * Who was active where: the human author of each message, and every human
 * listed on a reaction, with one reaction added per emoji they are listed on
 * (so every reactor of a message is there). A reaction counts on the day and
 * in the channel of the message it is on. Whether a user is human depends on
 * the user alone, so it is checked once per group rather than per activity row.
 */
export function memberChannelDaysStatement(shape: RunShape): Statement {
  return shape.write(
    'member_channel_day_rollups',
    `
  SELECT activity.user_id, activity.channel_id, activity.day, activity.team_id, activity.messages, activity.reactions_added,
         activity.author_team_id
  FROM (
    SELECT user_id, channel_id, day, min(team_id) AS team_id, sum(messages)::int AS messages, sum(reactions_added)::int AS reactions_added,
           -- the team the member's messages carry; a reaction does not say which team its user is in
           min(author_team_id) AS author_team_id
    FROM (
      SELECT m.user_id, m.channel_id, m.day, m.team_id, 1 AS messages, 0 AS reactions_added, m.author_team_id
      FROM run_messages m
      WHERE m.human AND m.user_id IS NOT NULL
      UNION ALL
      -- set-returning functions in the select list: no per-row function scan
      SELECT jsonb_array_elements_text(jsonb_array_elements(m.reactions) -> 'users'), m.channel_id, m.day, m.team_id, 0, 1, NULL
      FROM run_messages m
      WHERE m.reactions IS NOT NULL
    ) rows
    GROUP BY user_id, channel_id, day
  ) activity
  WHERE ${isHumanUserId('activity.user_id')}`,
  );
}

export function memberDaysStatement(shape: RunShape): Statement {
  return shape.write(
    'member_day_rollups',
    `
    SELECT team_id, user_id, day, sum(messages)::int AS messages, sum(reactions_added)::int AS reactions_added, count(*)::int AS channels,
           min(author_team_id) AS author_team_id
    FROM ${shape.rows('member_channel_day_rollups')}
    GROUP BY team_id, user_id, day`,
  );
}

/**
 * DAU/WAU/MAU for the days `from`..`to` in one pass over member days, read from
 * member_day_rollups once the run has written them, since the windows reach
 * back before the days in scope. Each active day of a member opens a window
 * of 1, 7 and 28 days that ends early at the member's next active day (which
 * opens its own), so windows never overlap and a running sum of +1/-1 marks
 * counts distinct members per day.
 */
export function activityStatement(shape: RunShape, from: string, to: string): Statement {
  const written = shape.write(
    'team_activity_rollups',
    `
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
  WHERE day BETWEEN $1::date AND $2::date AND mau > 0`,
  );
  return statement(written.sql, from, to);
}

/**
 * The members a partial run may change the first active day of: those active
 * on its days before the run or after it. Taken before the run's member days
 * replace the stored ones.
 */
export const SCOPE_MEMBERS_STATEMENT = statement(
  `CREATE TEMPORARY TABLE scope_members ON COMMIT DROP AS
   SELECT team_id, user_id FROM member_day_rollups WHERE day IN (SELECT day FROM scope_days)
   UNION SELECT team_id, user_id FROM next_member_day_rollups`,
);

/** Which stored first days, aliased `kept`, a partial run replaces. */
export const KEPT_ROWS_OF_SCOPE_MEMBERS = statement('(kept.team_id, kept.user_id) IN (SELECT team_id, user_id FROM scope_members)');

/**
 * Each member's first active day per workspace over every stored day, read
 * from member_day_rollups once the run has written them: a day in scope can
 * make a member's first day earlier or, when its activity is gone, later.
 * A full run groups every member day; a partial run looks up only the members
 * listed in `members`, each the first entry of its (user, day) index.
 */
export function firstDaysStatement(shape: RunShape, members?: string): Statement {
  const select = members
    ? `
    SELECT member.team_id, member.user_id, first.day AS first_day
    FROM ${members} member
    CROSS JOIN LATERAL (
      SELECT day FROM member_day_rollups active WHERE active.user_id = member.user_id AND active.team_id = member.team_id ORDER BY day LIMIT 1
    ) first`
    : `
    SELECT team_id, user_id, min(day) AS first_day
    FROM member_day_rollups
    GROUP BY team_id, user_id`;
  return shape.write('member_first_days', select);
}

/** The registries of dense numbers per workspace, by what they number: bit n of a workspace day's sets. */
export const NUMBERED = {
  member: { registry: 'member_numbers', id: 'user_id', from: 'member_day_rollups' },
  channel: { registry: 'channel_numbers', id: 'channel_id', from: 'channel_day_rollups' },
} as const;
type Numbered = (typeof NUMBERED)[keyof typeof NUMBERED];

/**
 * Numbers the members (or channels) a run sees for the first time in a
 * workspace after its last, in the order of their first day in the run. No
 * run renumbers or removes one (the stored sets hold their numbers), so the
 * registries are not rollups: a full run keeps them, and full and partial
 * runs write the same sets.
 */
export function newNumbersStatement(shape: RunShape, { registry, id, from }: Numbered): Statement {
  return statement(
    `INSERT INTO ${registry} (team_id, ${id}, number)
     SELECT new.team_id, new.${id},
            (coalesce(last.number, -1) + row_number() OVER (PARTITION BY new.team_id ORDER BY new.first_day, new.${id}))::int
     FROM (
       SELECT team_id, ${id}, min(day) AS first_day FROM ${shape.rows(from)} active
       WHERE NOT EXISTS (SELECT 1 FROM ${registry} known WHERE known.team_id = active.team_id AND known.${id} = active.${id})
       GROUP BY team_id, ${id}
     ) new
     LEFT JOIN LATERAL (SELECT max(number) AS number FROM ${registry} WHERE team_id = new.team_id) last ON true`,
  );
}

/**
 * Every set of a workspace has one width, so that the API can OR any days
 * together: when a run numbers past it, the stored sets are widened with
 * zeros before the run writes its own.
 */
export const WIDEN_SETS_STATEMENT = statement(
  `UPDATE team_day_rollups stored
   SET channels = stored.channels || repeat('0', greatest(width.channel_bits - length(stored.channels), 0))::bit varying,
       members = stored.members || repeat('0', greatest(width.member_bits - length(stored.members), 0))::bit varying
   FROM (
     SELECT team_id, channel_width.bits AS channel_bits, member_width.bits AS member_bits
     FROM (${numberSetWidths(NUMBERED.channel.registry)}) channel_width FULL JOIN (${numberSetWidths(NUMBERED.member.registry)}) member_width USING (team_id)
   ) width
   WHERE stored.team_id = width.team_id
     AND (length(stored.channels) < width.channel_bits OR length(stored.members) < width.member_bits)`,
);

/**
 * A workspace's day whole: the sums of its channel days, and its active
 * channels and members as sets of their numbers. Over any range the sums add
 * up and the distinct counts are the bits of the OR of its days: one row per
 * day for the summary, exact, instead of a row per member or channel and day.
 */
export function teamDaysStatement(shape: RunShape): Statement {
  return shape.write(
    'team_day_rollups',
    `
    WITH channel_days AS (
      SELECT channel_day.team_id, channel_day.day, sum(channel_day.messages)::int AS messages,
             sum(channel_day.human_messages)::int AS human_messages, sum(channel_day.thread_replies)::int AS thread_replies,
             sum(channel_day.threads_started)::int AS threads_started, sum(channel_day.reactions)::bigint AS reactions,
             array_agg(channel.number) AS numbers
      FROM ${shape.rows('channel_day_rollups')} channel_day
      JOIN channel_numbers channel ON channel.team_id = channel_day.team_id AND channel.channel_id = channel_day.channel_id
      GROUP BY channel_day.team_id, channel_day.day
    ),
    member_days AS (
      SELECT member_day.team_id, member_day.day, array_agg(member.number) AS numbers
      FROM ${shape.rows('member_day_rollups')} member_day
      JOIN member_numbers member ON member.team_id = member_day.team_id AND member.user_id = member_day.user_id
      GROUP BY member_day.team_id, member_day.day
    )
    SELECT team_id, day, coalesce(channel_days.messages, 0) AS messages, coalesce(channel_days.human_messages, 0) AS human_messages,
           coalesce(channel_days.thread_replies, 0) AS thread_replies, coalesce(channel_days.threads_started, 0) AS threads_started,
           coalesce(channel_days.reactions, 0) AS reactions,
           ${numberSet('channel_days.numbers', `coalesce(channel_width.bits, ${NUMBER_SET_BLOCK_BITS})`)} AS channels,
           ${numberSet('member_days.numbers', `coalesce(member_width.bits, ${NUMBER_SET_BLOCK_BITS})`)} AS members
    FROM channel_days
    FULL JOIN member_days USING (team_id, day)
    LEFT JOIN (${numberSetWidths(NUMBERED.channel.registry)}) channel_width USING (team_id)
    LEFT JOIN (${numberSetWidths(NUMBERED.member.registry)}) member_width USING (team_id)`,
  );
}
