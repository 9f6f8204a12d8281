import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DayRange, Granularity } from './metrics-queries.service';

export const COHORT_GRANULARITIES = ['week', 'month'] as const;
export type CohortGranularity = (typeof COHORT_GRANULARITIES)[number];

/** Periods followed after a cohort's own (period 0). */
export const COHORT_FOLLOWED_PERIODS = 12;

export interface RetentionCell {
  /** First day of the cohort period. */
  cohort: string;
  cohortSize: number;
  /** Periods after the cohort's own, 0 to COHORT_FOLLOWED_PERIODS. */
  period: number;
  /** First day of that period. */
  date: string;
  active: number;
  share: number;
}

export interface MembersFlowPeriod {
  date: string;
  new: number;
  returning: number;
  churned: number;
  active: number;
}

/** `$4` the granularity: one period as an interval. */
const STEP = `('1 ' || $4)::interval`;
/** The first period of from..to (`$2`, `$3`) and the day after the last one, whole periods. */
const FIRST_PERIOD = `date_trunc($4, $2::timestamp)::date`;
const AFTER_LAST_PERIOD = `(date_trunc($4, $3::timestamp) + ${STEP})::date`;

/**
 * Retention cohorts and new / returning / churned members, from
 * member_first_days and member_day_rollups (see docs/design.md). Periods
 * count whole: the ones from..to touches, every day of them.
 */
@Injectable()
export class MemberFlowQueries {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Every cohort with members, each with periods 0..12 up to the period of the
   * workspace's latest active day: a later period has no data yet, not no one active.
   */
  retention(teamId: string, { from, to }: DayRange, granularity: CohortGranularity): Promise<RetentionCell[]> {
    return this.dataSource.query(
      `WITH cohort_members AS MATERIALIZED (
         SELECT user_id, date_trunc($4, first_day::timestamp)::date AS cohort
         FROM member_first_days WHERE team_id = $1 AND first_day >= ${FIRST_PERIOD} AND first_day < ${AFTER_LAST_PERIOD}
       ),
       sizes AS (SELECT cohort, count(*)::int AS size FROM cohort_members GROUP BY cohort),
       latest AS (SELECT max(day) AS day FROM member_day_rollups WHERE team_id = $1),
       active AS (
         SELECT member.cohort, date_trunc($4, day.day::timestamp)::date AS date, count(DISTINCT member.user_id)::int AS active
         FROM cohort_members member
         JOIN member_day_rollups day ON day.team_id = $1 AND day.user_id = member.user_id
           AND day.day >= member.cohort AND day.day < member.cohort + ($5::int + 1) * ${STEP}
         GROUP BY 1, 2
       ),
       cells AS (
         SELECT sizes.cohort, sizes.size, period, (sizes.cohort + period * ${STEP})::date AS date
         FROM sizes CROSS JOIN generate_series(0, $5::int) AS period
       )
       SELECT cells.cohort::text AS cohort, cells.size AS "cohortSize", cells.period, cells.date::text AS date,
              coalesce(active.active, 0) AS active, coalesce(active.active, 0)::float8 / cells.size AS share
       FROM cells
       CROSS JOIN latest
       LEFT JOIN active USING (cohort, date)
       WHERE cells.date <= latest.day
       ORDER BY cells.cohort, cells.period`,
      [teamId, from, to, granularity, COHORT_FOLLOWED_PERIODS],
    );
  }

  /** Every period of the range, empty ones included; the period before the first one tells who churned in it. */
  membersFlow(teamId: string, { from, to }: DayRange, granularity: Granularity): Promise<MembersFlowPeriod[]> {
    return this.dataSource.query(
      `WITH periods AS (
         SELECT listed::date AS date FROM generate_series(date_trunc($4, $2::timestamp), $3::timestamp, ${STEP}) AS listed
       ),
       active AS MATERIALIZED (
         SELECT DISTINCT date_trunc($4, day::timestamp)::date AS date, user_id
         FROM member_day_rollups
         WHERE team_id = $1 AND day >= (${FIRST_PERIOD} - ${STEP})::date AND day < ${AFTER_LAST_PERIOD}
       ),
       totals AS (SELECT date, count(*)::int AS active FROM active GROUP BY date),
       newcomers AS (
         SELECT date_trunc($4, first_day::timestamp)::date AS date, count(*)::int AS new
         FROM member_first_days WHERE team_id = $1 AND first_day >= ${FIRST_PERIOD} AND first_day < ${AFTER_LAST_PERIOD}
         GROUP BY 1
       ),
       churned AS (
         SELECT (before.date + ${STEP})::date AS date, count(*)::int AS churned
         FROM active before
         WHERE NOT EXISTS (SELECT 1 FROM active now WHERE now.user_id = before.user_id AND now.date = (before.date + ${STEP})::date)
         GROUP BY 1
       )
       SELECT periods.date::text AS date, coalesce(newcomers.new, 0) AS new,
              coalesce(totals.active, 0) - coalesce(newcomers.new, 0) AS returning,
              coalesce(churned.churned, 0) AS churned, coalesce(totals.active, 0) AS active
       FROM periods
       LEFT JOIN totals USING (date)
       LEFT JOIN newcomers USING (date)
       LEFT JOIN churned USING (date)
       ORDER BY periods.date`,
      [teamId, from, to, granularity],
    );
  }
}
