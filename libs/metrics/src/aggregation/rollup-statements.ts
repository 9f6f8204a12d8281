import { isBotMessage, isHumanUserId, isMessage, isThreadReply, isTopLevel, localDay, localHour } from '../definitions';

/**
 * The set-based statements of one aggregation run. Every statement binds the
 * time zone as `$1`. A run covers either every day (`all`) or the days listed
 * in the temporary table `scope_days` (`days`); rows of the days in scope are
 * deleted and rebuilt from raw messages inside one transaction, so re-running
 * a range gives identical rows and readers never see a half-written day.
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

/** Days (with their UTC bounds) a partial run rebuilds; `$2` is a date[]. */
export const CREATE_SCOPE_DAYS = `
  CREATE TEMPORARY TABLE scope_days ON COMMIT DROP AS
  SELECT day, (day::timestamp AT TIME ZONE $1) AS starts_at, ((day + 1)::timestamp AT TIME ZONE $1) AS ends_at
  FROM unnest($2::date[]) AS listed(day)`;

/** Restricts messages aliased `alias` to the days in scope (an index range scan per day). */
function messagesInScope(scope: RollupScope, alias: string): string {
  return scope === 'all' ? '' : `JOIN scope_days scope ON ${alias}.posted_at >= scope.starts_at AND ${alias}.posted_at < scope.ends_at`;
}

function daysInScope(scope: RollupScope, column = 'day'): string {
  return scope === 'all' ? 'true' : `${column} IN (SELECT day FROM scope_days)`;
}

/** Removes the rows the run rebuilds (team_activity_rollups has its own window, see ACTIVITY). */
export function clearStatements(scope: RollupScope): string[] {
  if (scope === 'all') return [`TRUNCATE ${ROLLUP_TABLES.join(', ')}`];
  return ROLLUP_TABLES.filter((table) => table !== 'team_activity_rollups').map(
    (table) => `DELETE FROM ${table} WHERE ${daysInScope(scope)}`,
  );
}

/**
 * Messages per channel, day and local hour, in one pass over raw messages;
 * channel days and the heatmap are both summed from it. A temporary table so
 * that PostgreSQL may scan in parallel (INSERT … SELECT never does).
 */
export function channelHoursStatement(scope: RollupScope): string {
  return `
    CREATE TEMPORARY TABLE scoped_channel_hours ON COMMIT DROP AS
    SELECT m.channel_id,
           ${localDay('m.posted_at')} AS day,
           ${localHour('m.posted_at')} AS hour,
           min(m.team_id) AS team_id,
           count(*)::int AS messages,
           count(*) FILTER (WHERE NOT ${isBotMessage('m', 'author')})::int AS human_messages,
           count(*) FILTER (WHERE ${isThreadReply('m')})::int AS thread_replies,
           sum(m.reaction_count)::int AS reactions,
           max(m.posted_at) AS last_message_at
    FROM messages m
    ${messagesInScope(scope, 'm')}
    LEFT JOIN users author ON author.id = m.user_id
    WHERE ${isMessage('m')}
    GROUP BY 1, 2, 3`;
}

/** Threads started on the days in scope, with the time to the first reply by another human. */
export function threadsStatement(scope: RollupScope): string {
  return `
    INSERT INTO thread_rollups (channel_id, thread_ts, team_id, day, first_reply_seconds)
    SELECT parent.channel_id, parent.ts, parent.team_id, ${localDay('parent.posted_at')},
           extract(epoch FROM min(reply.posted_at) FILTER (
             WHERE NOT ${isBotMessage('reply', 'replier')} AND reply.user_id IS DISTINCT FROM parent.user_id
           ) - parent.posted_at)::double precision
    FROM messages parent
    ${messagesInScope(scope, 'parent')}
    JOIN messages reply ON reply.channel_id = parent.channel_id AND reply.thread_ts = parent.ts AND reply.ts <> parent.ts
    LEFT JOIN users replier ON replier.id = reply.user_id
    WHERE ${isMessage('parent')} AND ${isTopLevel('parent')} AND ${isMessage('reply')}
    GROUP BY parent.channel_id, parent.ts, parent.team_id, parent.posted_at`;
}

export function channelDaysStatement(scope: RollupScope): string {
  return `
    INSERT INTO channel_day_rollups
      (channel_id, day, team_id, messages, human_messages, thread_replies, threads_started, reactions, last_message_at)
    SELECT hours.channel_id, hours.day, hours.team_id, hours.messages, hours.human_messages, hours.thread_replies,
           coalesce(threads.started, 0), hours.reactions, hours.last_message_at
    FROM (
      SELECT channel_id, day, min(team_id) AS team_id, sum(messages)::int AS messages, sum(human_messages)::int AS human_messages,
             sum(thread_replies)::int AS thread_replies, sum(reactions)::int AS reactions, max(last_message_at) AS last_message_at
      FROM scoped_channel_hours
      GROUP BY channel_id, day
    ) hours
    LEFT JOIN (
      SELECT channel_id, day, count(*)::int AS started FROM thread_rollups WHERE ${daysInScope(scope)} GROUP BY channel_id, day
    ) threads USING (channel_id, day)`;
}

export const TEAM_HOURS_STATEMENT = `
  INSERT INTO team_hour_rollups (team_id, day, hour, messages)
  SELECT team_id, day, hour, sum(messages)::int FROM scoped_channel_hours GROUP BY team_id, day, hour`;

/**
 * Who was active where: the human author of each message, every human who
 * reacted (reactors), and one reaction added per emoji a human is listed on.
 * A reaction counts on the day and in the channel of the message it is on.
 */
export function memberChannelDaysStatement(scope: RollupScope): string {
  return `
    INSERT INTO member_channel_day_rollups (user_id, channel_id, day, team_id, messages, reactions_added)
    SELECT activity.user_id, m.channel_id, ${localDay('m.posted_at')}, min(m.team_id),
           sum(activity.messages)::int, sum(activity.reactions_added)::int
    FROM messages m
    ${messagesInScope(scope, 'm')}
    LEFT JOIN users author ON author.id = m.user_id
    CROSS JOIN LATERAL (
      SELECT m.user_id, 1, 0 WHERE m.user_id IS NOT NULL AND NOT ${isBotMessage('m', 'author')}
      UNION ALL
      SELECT reactor, 0, 0 FROM unnest(m.reactors) AS reactor
      UNION ALL
      SELECT listed.user_id, 0, 1
      FROM jsonb_array_elements(m.reactions) AS reaction, jsonb_array_elements_text(reaction -> 'users') AS listed(user_id)
    ) AS activity(user_id, messages, reactions_added)
    WHERE ${isMessage('m')} AND ${isHumanUserId('activity.user_id')}
    GROUP BY activity.user_id, m.channel_id, 3`;
}

export function memberDaysStatement(scope: RollupScope): string {
  return `
    INSERT INTO member_day_rollups (team_id, user_id, day, messages, reactions_added, channels)
    SELECT team_id, user_id, day, sum(messages)::int, sum(reactions_added)::int, count(*)::int
    FROM member_channel_day_rollups
    WHERE ${daysInScope(scope)}
    GROUP BY team_id, user_id, day`;
}

/** `$1` first and `$2` last day whose DAU/WAU/MAU are rebuilt. */
export const CLEAR_ACTIVITY = `DELETE FROM team_activity_rollups WHERE day BETWEEN $1::date AND $2::date`;

/**
 * DAU/WAU/MAU for days `$1`..`$2` in one pass over member days: each active
 * day of a member opens a window of 1, 7 and 28 days that ends early at the
 * member's next active day (which opens its own), so windows never overlap
 * and a running sum of +1/-1 marks counts distinct members per day.
 */
export const ACTIVITY_STATEMENT = `
  WITH active AS MATERIALIZED (
    SELECT team_id, day, lead(day) OVER (PARTITION BY team_id, user_id ORDER BY day) AS next_day
    FROM member_day_rollups
    WHERE day BETWEEN $1::date - 27 AND $2::date
  ),
  marks AS (
    SELECT team_id, day, 1 AS dau, 1 AS wau, 1 AS mau FROM active
    UNION ALL SELECT team_id, day + 1, -1, 0, 0 FROM active
    UNION ALL SELECT team_id, least(day + 7, next_day), 0, -1, 0 FROM active
    UNION ALL SELECT team_id, least(day + 28, next_day), 0, 0, -1 FROM active
    -- a zero mark on every day so that days without changes still get their running total
    UNION ALL
    SELECT teams.team_id, listed.day::date, 0, 0, 0
    FROM (SELECT DISTINCT team_id FROM active) teams, generate_series($1::date, $2::date, interval '1 day') AS listed(day)
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
  INSERT INTO team_activity_rollups (team_id, day, dau, wau, mau)
  SELECT team_id, day, dau::int, wau::int, mau::int
  FROM running
  WHERE day BETWEEN $1::date AND $2::date AND mau > 0`;
