import { MigrationInterface, QueryRunner } from 'typeorm';
import { AGGREGATION_LOCK_KEY } from '../advisory-lock';

/**
 * Each member's first active day per workspace, for retention cohorts and
 * new / returning / churned members. The table starts empty; forgetting the
 * aggregation state makes the next `worker aggregate` a full run, which fills
 * it from member_day_rollups.
 */
export class MemberFirstDays1765171200000 implements MigrationInterface {
  name = 'MemberFirstDays1765171200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE member_first_days (
        team_id text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        first_day date NOT NULL,
        PRIMARY KEY (team_id, user_id)
      )`);
    // Cohorts and newcomers are read by workspace and a range of first days.
    await queryRunner.query(`CREATE INDEX member_first_days_team_first_day_idx ON member_first_days (team_id, first_day)`);
    // After a run in progress, which would otherwise write the state back as it commits.
    await queryRunner.query('SELECT pg_advisory_xact_lock($1)', [AGGREGATION_LOCK_KEY]);
    await queryRunner.query('DELETE FROM aggregation_state');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE member_first_days`);
  }
}
