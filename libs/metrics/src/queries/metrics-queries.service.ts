import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChannelMetricSort, UserMetricSort, orderBy } from './sorting';

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface DayRange {
  from: string;
  to: string;
}

export interface Summary {
  messages: number;
  humanMessages: number;
  threadReplies: number;
  threadsStarted: number;
  reactions: number;
  activeMembers: number;
  activeChannels: number;
}

export interface ActiveMembersDay {
  date: string;
  dau: number;
  wau: number;
  mau: number;
}

export interface ChannelCounts {
  messages: number;
  humanMessages: number;
  threadReplies: number;
  threadsStarted: number;
  reactions: number;
  activePosters: number;
  firstReplyP50Seconds: number | null;
  firstReplyP90Seconds: number | null;
}

export interface ChannelMetrics extends ChannelCounts {
  channelId: string;
  name: string | null;
}

export interface UserCounts {
  messages: number;
  reactionsAdded: number;
  channelsActive: number;
  daysActive: number;
}

export interface UserMetrics extends UserCounts {
  userId: string;
  name: string | null;
  realName: string | null;
}

export interface MemberChannelCounts {
  userId: string;
  channelId: string;
  messages: number;
  reactionsAdded: number;
}

/** Where a page of member × channel rows starts: after this (userId, channelId). */
export interface MemberChannelPosition {
  userId: string;
  channelId: string;
}

export interface MemberChannelFilter {
  userId?: string;
  channelId?: string;
  after?: MemberChannelPosition;
  limit: number;
}

export interface MemberChannelPage {
  rows: MemberChannelCounts[];
  /** Where the next page starts; undefined on the last page. */
  next?: MemberChannelPosition;
}

export interface TimeZoneMembers {
  timezone: string | null;
  members: number;
  share: number;
}

export const AUDIENCES = ['member', 'guest', 'external'] as const;
export type Audience = (typeof AUDIENCES)[number];

export interface AudienceCounts {
  audience: Audience;
  messages: number;
  activePeople: number;
  threadsStarted: number;
  firstReplyP50Seconds: number | null;
  firstReplyP90Seconds: number | null;
}

/**
 * A person's audience for workspace `$1`, from the team their messages carry
 * (`author_team`, else the profile's team) and the profile `u` as it is now:
 * another team is external, a guest flag makes a guest, the rest are members.
 */
function audienceOf(authorTeam: string): string {
  return `CASE WHEN coalesce(${authorTeam}, u.team_id) <> $1 THEN 'external'
               WHEN u.is_restricted OR u.is_ultra_restricted THEN 'guest'
               ELSE 'member' END`;
}

export interface HeatmapCell {
  weekday: number;
  hour: number;
  messages: number;
}

/** The select list of a channel's counts, named as the API names them, over `totals`, `posters` and `replies`. */
const CHANNEL_COUNT_SELECT_LIST = `
  coalesce(totals.messages, 0) AS messages, coalesce(totals.human_messages, 0) AS "humanMessages",
  coalesce(totals.thread_replies, 0) AS "threadReplies", coalesce(totals.threads_started, 0) AS "threadsStarted",
  coalesce(totals.reactions, 0) AS reactions, coalesce(posters.active_posters, 0) AS "activePosters",
  replies.p50 AS "firstReplyP50Seconds", replies.p90 AS "firstReplyP90Seconds"`;

/**
 * Counts of rows (messages, replies, threads) stay far inside integer range
 * over any range; reactions are sums of per-message counts that need not, so
 * they are read as float8: a JSON number, exact to 2^53.
 */
const CHANNEL_TOTALS = `
  sum(messages)::int AS messages, sum(human_messages)::int AS human_messages, sum(thread_replies)::int AS thread_replies,
  sum(threads_started)::int AS threads_started, sum(reactions)::float8 AS reactions`;

/**
 * A workspace's totals over the days read, named as the API names them: sums of the days, and the
 * distinct members and channels as the bits of the union of the days' sets.
 */
const WORKSPACE_DAY_TOTALS = `
  coalesce(sum(messages), 0)::int AS messages, coalesce(sum(human_messages), 0)::int AS "humanMessages",
  coalesce(sum(thread_replies), 0)::int AS "threadReplies", coalesce(sum(threads_started), 0)::int AS "threadsStarted",
  coalesce(sum(reactions), 0)::float8 AS reactions, coalesce(bit_count(bit_or(members)), 0)::int AS "activeMembers",
  coalesce(bit_count(bit_or(channels)), 0)::int AS "activeChannels"`;

const ACTIVE_POSTERS = `count(DISTINCT user_id) FILTER (WHERE messages > 0)::int AS active_posters`;

/**
 * Rounded to the millisecond: interpolating between Slack timestamps (microseconds, held as
 * doubles) leaves digits like 2809.500001 that no reader can use.
 */
const FIRST_REPLY_PERCENTILES = `
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY first_reply_seconds)::numeric, 3)::float8 AS p50,
  round(percentile_cont(0.9) WITHIN GROUP (ORDER BY first_reply_seconds)::numeric, 3)::float8 AS p90`;

/** The select list of a member's counts, named as the API names them, over `days` and `channels`. */
const USER_COUNT_SELECT_LIST = `
  coalesce(days.messages, 0) AS messages, coalesce(days.reactions_added, 0) AS "reactionsAdded",
  coalesce(channels.channels_active, 0) AS "channelsActive", coalesce(days.days_active, 0) AS "daysActive"`;

const USER_DAY_TOTALS = `sum(messages)::int AS messages, sum(reactions_added)::int AS reactions_added, count(*)::int AS days_active`;

/** Periods of a series: `$2` from, `$3` to, `$4` granularity; a period's first day labels it. */
const PERIODS = `SELECT listed::date AS date FROM generate_series(date_trunc($4, $2::timestamp), $3::timestamp, ('1 ' || $4)::interval) AS listed`;
const PERIOD_OF_DAY = `date_trunc($4, day::timestamp)::date`;

/**
 * Reads the rollups for the API. Every query filters on indexed
 * (team|channel|user, day) ranges; none reads raw messages.
 */
@Injectable()
export class MetricsQueries {
  constructor(private readonly dataSource: DataSource) {}

  async summary(teamId: string, { from, to }: DayRange): Promise<Summary> {
    const [row] = await this.dataSource.query(
      `SELECT ${WORKSPACE_DAY_TOTALS} FROM team_day_rollups WHERE team_id = $1 AND day BETWEEN $2 AND $3`,
      [teamId, from, to],
    );
    return row;
  }

  /** The summary of every period of the range, empty ones included; distinct counts are over each period. */
  workspaceSeries(teamId: string, { from, to }: DayRange, granularity: Granularity): Promise<Array<Summary & { date: string }>> {
    return this.dataSource.query(
      `WITH periods AS (${PERIODS}),
       totals AS (
         SELECT ${PERIOD_OF_DAY} AS date, ${WORKSPACE_DAY_TOTALS}
         FROM team_day_rollups WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1
       )
       SELECT periods.date::text AS date, coalesce(totals.messages, 0) AS messages, coalesce(totals."humanMessages", 0) AS "humanMessages",
              coalesce(totals."threadReplies", 0) AS "threadReplies", coalesce(totals."threadsStarted", 0) AS "threadsStarted",
              coalesce(totals.reactions, 0) AS reactions, coalesce(totals."activeMembers", 0) AS "activeMembers",
              coalesce(totals."activeChannels", 0) AS "activeChannels"
       FROM periods
       LEFT JOIN totals USING (date)
       ORDER BY periods.date`,
      [teamId, from, to, granularity],
    );
  }

  /**
   * When the last successful aggregation run finished; null before the first. Runs hold one lock
   * and never overlap, so the latest started is the latest finished (and the index is on start).
   */
  async lastAggregatedAt(): Promise<string | null> {
    const rows: Array<{ finished_at: Date }> = await this.dataSource.query(
      `SELECT finished_at FROM aggregation_runs WHERE status = 'succeeded' ORDER BY started_at DESC LIMIT 1`,
    );
    return rows[0]?.finished_at.toISOString() ?? null;
  }

  activeMembers(teamId: string, { from, to }: DayRange): Promise<ActiveMembersDay[]> {
    return this.dataSource.query(
      `SELECT listed::date::text AS date, coalesce(a.dau, 0) AS dau, coalesce(a.wau, 0) AS wau, coalesce(a.mau, 0) AS mau
       FROM generate_series($2::date, $3::date, interval '1 day') AS listed
       LEFT JOIN team_activity_rollups a ON a.team_id = $1 AND a.day = listed::date
       ORDER BY 1`,
      [teamId, from, to],
    );
  }

  channelMetrics(teamId: string, { from, to }: DayRange, sort: ChannelMetricSort, limit: number): Promise<ChannelMetrics[]> {
    return this.dataSource.query(
      `WITH totals AS (
         SELECT channel_id, ${CHANNEL_TOTALS} FROM channel_day_rollups
         WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY channel_id
       ),
       posters AS (
         SELECT channel_id, ${ACTIVE_POSTERS} FROM member_channel_day_rollups
         WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY channel_id
       ),
       replies AS (
         SELECT channel_id, ${FIRST_REPLY_PERCENTILES} FROM thread_rollups
         WHERE team_id = $1 AND day BETWEEN $2 AND $3 AND first_reply_seconds IS NOT NULL GROUP BY channel_id
       )
       SELECT totals.channel_id AS "channelId", c.name, ${CHANNEL_COUNT_SELECT_LIST}
       FROM totals
       LEFT JOIN posters USING (channel_id)
       LEFT JOIN replies USING (channel_id)
       LEFT JOIN channels c ON c.id = totals.channel_id
       ORDER BY ${orderBy(sort, 'totals.channel_id')}
       LIMIT $4`,
      [teamId, from, to, limit],
    );
  }

  /**
   * The channel as stored with its workspace or, when it was never listed, as the rollups of the
   * first of `teamIds` that has any know it (one index probe per workspace).
   */
  async channelKnown(
    channelId: string,
    teamIds: string[],
  ): Promise<{ channelId: string; name: string | null; teamId: string } | undefined> {
    const rows = await this.dataSource.query(
      `SELECT id AS "channelId", name, team_id AS "teamId" FROM channels WHERE id = $1
       UNION ALL
       (SELECT $1, NULL, team FROM unnest($2::text[]) AS team
        WHERE NOT EXISTS (SELECT 1 FROM channels WHERE id = $1)
          AND EXISTS (SELECT 1 FROM channel_day_rollups WHERE team_id = team AND channel_id = $1)
        ORDER BY team LIMIT 1)
       LIMIT 1`,
      [channelId, teamIds],
    );
    return rows[0];
  }

  channelSeries(
    teamId: string,
    channelId: string,
    { from, to }: DayRange,
    granularity: Granularity,
  ): Promise<Array<ChannelCounts & { date: string }>> {
    return this.dataSource.query(
      `WITH periods AS (${PERIODS}),
       totals AS (
         SELECT ${PERIOD_OF_DAY} AS date, ${CHANNEL_TOTALS} FROM channel_day_rollups
         WHERE team_id = $5 AND channel_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1
       ),
       posters AS (
         SELECT ${PERIOD_OF_DAY} AS date, ${ACTIVE_POSTERS} FROM member_channel_day_rollups
         WHERE team_id = $5 AND channel_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1
       ),
       replies AS (
         SELECT ${PERIOD_OF_DAY} AS date, ${FIRST_REPLY_PERCENTILES} FROM thread_rollups
         WHERE team_id = $5 AND channel_id = $1 AND day BETWEEN $2 AND $3 AND first_reply_seconds IS NOT NULL GROUP BY 1
       )
       SELECT periods.date::text AS date, ${CHANNEL_COUNT_SELECT_LIST}
       FROM periods
       LEFT JOIN totals USING (date)
       LEFT JOIN posters USING (date)
       LEFT JOIN replies USING (date)
       ORDER BY periods.date`,
      [channelId, from, to, granularity, teamId],
    );
  }

  userMetrics(teamId: string, { from, to }: DayRange, sort: UserMetricSort, limit: number): Promise<UserMetrics[]> {
    return this.dataSource.query(
      `WITH days AS (
         SELECT user_id, ${USER_DAY_TOTALS} FROM member_day_rollups
         WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY user_id
       ),
       channels AS (
         SELECT user_id, count(DISTINCT channel_id)::int AS channels_active FROM member_channel_day_rollups
         WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY user_id
       )
       SELECT days.user_id AS "userId", u.name, u.real_name AS "realName", ${USER_COUNT_SELECT_LIST}
       FROM days
       JOIN channels USING (user_id)
       LEFT JOIN users u ON u.id = days.user_id
       ORDER BY ${orderBy(sort, 'days.user_id')}
       LIMIT $4`,
      [teamId, from, to, limit],
    );
  }

  /**
   * The member as stored with their profile's team or, when they were never listed, as the rollups
   * of the first of `teamIds` that has any know them (one index probe per workspace).
   */
  async userKnown(
    userId: string,
    teamIds: string[],
  ): Promise<{ userId: string; name: string | null; realName: string | null; teamId: string | null } | undefined> {
    const rows = await this.dataSource.query(
      `SELECT id AS "userId", name, real_name AS "realName", team_id AS "teamId" FROM users WHERE id = $1
       UNION ALL
       (SELECT $1, NULL, NULL, team FROM unnest($2::text[]) AS team
        WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = $1)
          AND EXISTS (SELECT 1 FROM member_day_rollups WHERE team_id = team AND user_id = $1)
        ORDER BY team LIMIT 1)
       LIMIT 1`,
      [userId, teamIds],
    );
    return rows[0];
  }

  userSeries(
    teamId: string,
    userId: string,
    { from, to }: DayRange,
    granularity: Granularity,
  ): Promise<Array<UserCounts & { date: string }>> {
    return this.dataSource.query(
      `WITH periods AS (${PERIODS}),
       days AS (
         SELECT ${PERIOD_OF_DAY} AS date, ${USER_DAY_TOTALS} FROM member_day_rollups
         WHERE team_id = $5 AND user_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1
       ),
       channels AS (
         SELECT ${PERIOD_OF_DAY} AS date, count(DISTINCT channel_id)::int AS channels_active FROM member_channel_day_rollups
         WHERE team_id = $5 AND user_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1
       )
       SELECT periods.date::text AS date, ${USER_COUNT_SELECT_LIST}
       FROM periods
       LEFT JOIN days USING (date)
       LEFT JOIN channels USING (date)
       ORDER BY periods.date`,
      [userId, from, to, granularity, teamId],
    );
  }

  /**
   * A page of (member, channel) totals over the range, ordered by user id, then channel id (both
   * compare byte by byte: the rollup's ids are collation "C"). One row more than asked tells
   * whether another page follows.
   */
  async memberChannels(teamId: string, { from, to }: DayRange, filter: MemberChannelFilter): Promise<MemberChannelPage> {
    const rows: MemberChannelCounts[] = await this.dataSource.query(
      `SELECT user_id AS "userId", channel_id AS "channelId",
              sum(messages)::int AS messages, sum(reactions_added)::int AS "reactionsAdded"
       FROM member_channel_day_rollups
       WHERE team_id = $1 AND day BETWEEN $2 AND $3
         AND ($4::text IS NULL OR user_id = $4) AND ($5::text IS NULL OR channel_id = $5)
         AND ($6::text IS NULL OR (user_id, channel_id) > ($6::text, $7::text))
       GROUP BY user_id, channel_id
       ORDER BY user_id, channel_id
       LIMIT $8`,
      [
        teamId,
        from,
        to,
        filter.userId ?? null,
        filter.channelId ?? null,
        filter.after?.userId ?? null,
        filter.after?.channelId ?? null,
        filter.limit + 1,
      ],
    );
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return { rows: page, next: rows.length > filter.limit ? { userId: last.userId, channelId: last.channelId } : undefined };
  }

  /**
   * Distinct members active over the whole range per profile time zone, as the
   * users table holds it now (a member who moved counts in their current zone);
   * members missing from users or without a valid zone under null. The active
   * members are the set bits of the range's workspace days.
   */
  timeZones(teamId: string, { from, to }: DayRange): Promise<TimeZoneMembers[]> {
    return this.dataSource.query(
      `WITH span AS (
         SELECT bit_or(members) AS members FROM team_day_rollups WHERE team_id = $1 AND day BETWEEN $2 AND $3
       ),
       active AS (
         SELECT member.user_id
         FROM span
         CROSS JOIN generate_series(0, length(span.members) - 1) AS bit
         JOIN member_numbers member ON member.team_id = $1 AND member.number = bit
         WHERE get_bit(span.members, bit) = 1
       ),
       zones AS (
         SELECT u.tz AS timezone, count(*)::int AS members FROM active LEFT JOIN users u ON u.id = active.user_id GROUP BY u.tz
       )
       SELECT timezone, members, (members::float8 / sum(members) OVER ())::float8 AS share
       FROM zones
       ORDER BY members DESC, timezone COLLATE "C" NULLS LAST`,
      [teamId, from, to],
    );
  }

  /**
   * Members, guests and external people: their human messages and distinct
   * active people over the range, and the threads they started with the first
   * reply times of those threads. Classified when asked, so a changed profile
   * needs no recomputation. Every audience is listed, empty ones included.
   */
  audience(teamId: string, { from, to }: DayRange): Promise<AudienceCounts[]> {
    return this.dataSource.query(
      `WITH people AS (
         SELECT ${audienceOf('active.author_team_id')} AS audience, active.messages
         FROM (
           SELECT user_id, sum(messages)::int AS messages, min(author_team_id) AS author_team_id FROM member_day_rollups
           WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY user_id
         ) active
         LEFT JOIN users u ON u.id = active.user_id
       ),
       threads AS (
         SELECT ${audienceOf('thread.starter_team_id')} AS audience, thread.first_reply_seconds
         FROM thread_rollups thread
         LEFT JOIN users u ON u.id = thread.starter_user_id
         WHERE thread.team_id = $1 AND thread.day BETWEEN $2 AND $3 AND thread.starter_user_id IS NOT NULL
       )
       SELECT listed.audience, coalesce(counted.messages, 0) AS messages, coalesce(counted.active_people, 0) AS "activePeople",
              coalesce(started.threads, 0) AS "threadsStarted", started.p50 AS "firstReplyP50Seconds", started.p90 AS "firstReplyP90Seconds"
       FROM unnest($4::text[]) WITH ORDINALITY AS listed(audience, position)
       LEFT JOIN (SELECT audience, sum(messages)::int AS messages, count(*)::int AS active_people FROM people GROUP BY audience) counted
         USING (audience)
       LEFT JOIN (SELECT audience, count(*)::int AS threads, ${FIRST_REPLY_PERCENTILES} FROM threads GROUP BY audience) started
         USING (audience)
       ORDER BY listed.position`,
      [teamId, from, to, AUDIENCES],
    );
  }

  /** All 168 weekday (ISO, 1 = Monday) × local hour cells, zeros included. */
  heatmap(teamId: string, { from, to }: DayRange): Promise<HeatmapCell[]> {
    return this.dataSource.query(
      `SELECT weekday, hour, coalesce(counted.messages, 0) AS messages
       FROM generate_series(1, 7) AS weekday
       CROSS JOIN generate_series(0, 23) AS hour
       LEFT JOIN (
         SELECT extract(isodow FROM day)::int AS weekday, hour::int AS hour, sum(messages)::int AS messages
         FROM team_hour_rollups WHERE team_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1, 2
       ) counted USING (weekday, hour)
       ORDER BY weekday, hour`,
      [teamId, from, to],
    );
  }
}
