import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Raw activity as collected from Slack. Messages carry no foreign keys so
 * that bulk imports and out-of-order events never fail on ordering; every
 * writer creates the channel and workspace rows it refers to.
 */
export class RawActivity1764480000000 implements MigrationInterface {
  name = 'RawActivity1764480000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workspaces (
        id text PRIMARY KEY,
        name text,
        domain text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE channels (
        id text PRIMARY KEY,
        team_id text NOT NULL,
        name text,
        kind text NOT NULL DEFAULT 'public' CHECK (kind IN ('public', 'private', 'im', 'mpim')),
        is_private boolean NOT NULL DEFAULT false,
        is_archived boolean NOT NULL DEFAULT false,
        created timestamptz,
        member_count integer CHECK (member_count >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX channels_team_id_name_idx ON channels (team_id, name)`);
    await queryRunner.query(`
      CREATE TABLE users (
        id text PRIMARY KEY,
        team_id text NOT NULL,
        name text,
        real_name text,
        is_bot boolean NOT NULL DEFAULT false,
        is_deleted boolean NOT NULL DEFAULT false,
        tz text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX users_team_id_idx ON users (team_id)`);
    await queryRunner.query(`
      CREATE TABLE messages (
        channel_id text NOT NULL,
        ts text NOT NULL CHECK (ts ~ '^[0-9]+\\.[0-9]+$'),
        team_id text NOT NULL,
        user_id text,
        bot_id text,
        thread_ts text,
        subtype text,
        posted_at timestamptz NOT NULL,
        is_bot boolean NOT NULL DEFAULT false,
        reply_count integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
        latest_reply_ts text,
        reaction_count integer NOT NULL DEFAULT 0 CHECK (reaction_count >= 0),
        reactions jsonb NOT NULL DEFAULT '[]'::jsonb,
        reactors text[] NOT NULL DEFAULT '{}'::text[],
        file_count integer NOT NULL DEFAULT 0 CHECK (file_count >= 0),
        text text,
        edited_at timestamptz,
        deleted_at timestamptz,
        source text NOT NULL CHECK (source IN ('collect', 'events', 'import')),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, ts)
      )`);
    await queryRunner.query(`CREATE INDEX messages_posted_at_idx ON messages (posted_at)`);
    await queryRunner.query(`CREATE INDEX messages_team_id_posted_at_idx ON messages (team_id, posted_at)`);
    await queryRunner.query(`CREATE INDEX messages_user_id_posted_at_idx ON messages (user_id, posted_at)`);
    await queryRunner.query(`CREATE INDEX messages_updated_at_idx ON messages (updated_at)`);
    // Replies are looked up by their parent for first-reply times.
    await queryRunner.query(`CREATE INDEX messages_thread_idx ON messages (channel_id, thread_ts) WHERE thread_ts IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE channel_sync_state (
        channel_id text PRIMARY KEY,
        newest_ts text,
        pending_cursor text,
        pending_newest_ts text,
        last_run_at timestamptz,
        last_success_at timestamptz,
        last_error text,
        last_error_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE processed_events (
        event_id text PRIMARY KEY,
        team_id text,
        event_type text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX processed_events_received_at_idx ON processed_events (received_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE processed_events`);
    await queryRunner.query(`DROP TABLE channel_sync_state`);
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE users`);
    await queryRunner.query(`DROP TABLE channels`);
    await queryRunner.query(`DROP TABLE workspaces`);
  }
}
