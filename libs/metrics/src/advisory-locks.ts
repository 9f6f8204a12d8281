/**
 * Session-level advisory lock keys, one per kind of job, so that a job runs
 * once per cluster whatever the number of replicas or CronJob overlaps.
 * (7_352_340_001 is the migration lock in @app/db; migration RecountTeamHours
 * takes the aggregation lock too.)
 */
export const AGGREGATION_LOCK_KEY = 7_352_340_002;
export const COLLECT_LOCK_KEY = 7_352_340_003;
