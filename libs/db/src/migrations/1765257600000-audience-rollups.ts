import { MigrationInterface, QueryRunner } from 'typeorm';
import { AGGREGATION_LOCK_KEY } from '../advisory-lock';

/**
 * What the audience numbers need of a message beyond its user: the author
 * team a member's messages carry (member days) and who started a thread, with
 * their team (threads). Forgetting the aggregation state makes the next
 * `worker aggregate` a full run, which fills the new columns for every day.
 */
export class AudienceRollups1765257600000 implements MigrationInterface {
  name = 'AudienceRollups1765257600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // After a run in progress, which would otherwise write the state back as it commits.
    await queryRunner.query('SELECT pg_advisory_xact_lock($1)', [AGGREGATION_LOCK_KEY]);
    await queryRunner.query(
      `ALTER TABLE thread_rollups ADD COLUMN starter_user_id text COLLATE "C", ADD COLUMN starter_team_id text COLLATE "C"`,
    );
    await queryRunner.query(`ALTER TABLE member_channel_day_rollups ADD COLUMN author_team_id text COLLATE "C"`);
    await queryRunner.query(`ALTER TABLE member_day_rollups ADD COLUMN author_team_id text COLLATE "C"`);
    await queryRunner.query('DELETE FROM aggregation_state');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE member_day_rollups DROP COLUMN author_team_id`);
    await queryRunner.query(`ALTER TABLE member_channel_day_rollups DROP COLUMN author_team_id`);
    await queryRunner.query(`ALTER TABLE thread_rollups DROP COLUMN starter_user_id, DROP COLUMN starter_team_id`);
  }
}
