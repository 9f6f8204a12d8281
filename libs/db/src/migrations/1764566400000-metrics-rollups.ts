import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups the API reads instead of raw messages, and the bookkeeping of the
 * runs that write them. Days are calendar days in METRICS_TIMEZONE; the zone
 * the rows were computed in is kept in aggregation_state so a change of zone
 * forces a full recomputation.
 *
 * Distinct counts over arbitrary ranges (active members, active posters,
 * channels a member was active in, days active) are answered from the
 * per-member rows, never by adding daily counts.
 */
export class MetricsRollups1764566400000 implements MigrationInterface {
  name = 'MetricsRollups1764566400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE channel_day_rollups (
        channel_id text NOT NULL,
        day date NOT NULL,
        team_id text NOT NULL,
        messages integer NOT NULL,
        human_messages integer NOT NULL,
        thread_replies integer NOT NULL,
        threads_started integer NOT NULL,
        reactions integer NOT NULL,
        last_message_at timestamptz NOT NULL,
        PRIMARY KEY (channel_id, day)
      )`);
    await queryRunner.query(`CREATE INDEX channel_day_rollups_team_day_idx ON channel_day_rollups (team_id, day)`);

    // One row per thread started (a top-level message with at least one reply), on its parent's day.
    await queryRunner.query(`
      CREATE TABLE thread_rollups (
        channel_id text NOT NULL,
        thread_ts text NOT NULL,
        team_id text NOT NULL,
        day date NOT NULL,
        first_reply_seconds double precision,
        PRIMARY KEY (channel_id, thread_ts)
      )`);
    // Day first: serves a workspace's range queries and the per-day replacement of a partial run alike.
    await queryRunner.query(`CREATE INDEX thread_rollups_day_team_idx ON thread_rollups (day, team_id)`);
    await queryRunner.query(`CREATE INDEX thread_rollups_channel_day_idx ON thread_rollups (channel_id, day)`);

    // Who was active where on which day: human messages posted and reactions added, per channel.
    await queryRunner.query(`
      CREATE TABLE member_channel_day_rollups (
        user_id text NOT NULL,
        channel_id text NOT NULL,
        day date NOT NULL,
        team_id text NOT NULL,
        messages integer NOT NULL,
        reactions_added integer NOT NULL,
        PRIMARY KEY (user_id, day, channel_id)
      )`);
    await queryRunner.query(`CREATE INDEX member_channel_day_rollups_day_team_idx ON member_channel_day_rollups (day, team_id)`);
    await queryRunner.query(`CREATE INDEX member_channel_day_rollups_channel_day_idx ON member_channel_day_rollups (channel_id, day)`);

    // The same per member and day over all channels of a workspace, for workspace-wide distinct counts.
    await queryRunner.query(`
      CREATE TABLE member_day_rollups (
        team_id text NOT NULL,
        user_id text NOT NULL,
        day date NOT NULL,
        messages integer NOT NULL,
        reactions_added integer NOT NULL,
        channels integer NOT NULL,
        PRIMARY KEY (day, team_id, user_id)
      )`);
    await queryRunner.query(`CREATE INDEX member_day_rollups_user_day_idx ON member_day_rollups (user_id, day)`);

    // DAU/WAU/MAU per workspace and day; sliding windows cannot be rebuilt from daily counts at query time cheaply.
    await queryRunner.query(`
      CREATE TABLE team_activity_rollups (
        team_id text NOT NULL,
        day date NOT NULL,
        dau integer NOT NULL,
        wau integer NOT NULL,
        mau integer NOT NULL,
        PRIMARY KEY (team_id, day)
      )`);

    await queryRunner.query(`
      CREATE TABLE team_hour_rollups (
        team_id text NOT NULL,
        day date NOT NULL,
        hour smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
        messages integer NOT NULL,
        PRIMARY KEY (team_id, day, hour)
      )`);

    await queryRunner.query(`
      CREATE TABLE aggregation_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        mode text NOT NULL CHECK (mode IN ('full', 'incremental', 'range')),
        trigger text NOT NULL,
        from_day date,
        to_day date,
        days integer NOT NULL DEFAULT 0,
        rows integer NOT NULL DEFAULT 0,
        duration_ms integer,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        error text
      )`);
    await queryRunner.query(`CREATE INDEX aggregation_runs_started_at_idx ON aggregation_runs (started_at DESC)`);

    // A single row: what the rollups were computed with and how far changes have been seen.
    await queryRunner.query(`
      CREATE TABLE aggregation_state (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        timezone text NOT NULL,
        changes_seen_until timestamptz NOT NULL,
        bot_user_ids text[] NOT NULL,
        generation bigint NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'aggregation_state',
      'aggregation_runs',
      'team_hour_rollups',
      'team_activity_rollups',
      'member_day_rollups',
      'member_channel_day_rollups',
      'thread_rollups',
      'channel_day_rollups',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
