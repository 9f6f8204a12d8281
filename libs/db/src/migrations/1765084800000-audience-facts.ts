import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What tells members, guests and Slack Connect people apart: a user's guest
 * flags and a message's author team. Rows stored before are NULL, unknown,
 * until the next collection or import writes them again (users.team_id and
 * users.tz were stored from the start).
 */
export class AudienceFacts1765084800000 implements MigrationInterface {
  name = 'AudienceFacts1765084800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN is_restricted boolean, ADD COLUMN is_ultra_restricted boolean`);
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN author_team_id text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN author_team_id`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN is_restricted, DROP COLUMN is_ultra_restricted`);
  }
}
