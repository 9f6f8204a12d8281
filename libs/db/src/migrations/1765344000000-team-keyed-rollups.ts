import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every rollup's key leads with its workspace, and every per-channel or
 * per-member index does too: a query always names the workspace, and a
 * distributed PostgreSQL that places rows by `team_id` needs it in each
 * primary key. A channel day, thread or member channel day already belongs
 * to exactly one workspace, so the rows stay as they are; only the keys and
 * indexes are built again.
 */
export class TeamKeyedRollups1765344000000 implements MigrationInterface {
  name = 'TeamKeyedRollups1765344000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE channel_day_rollups DROP CONSTRAINT channel_day_rollups_pkey`);
    await queryRunner.query(
      `ALTER TABLE channel_day_rollups ADD CONSTRAINT channel_day_rollups_pkey PRIMARY KEY (team_id, channel_id, day)`,
    );

    await queryRunner.query(`ALTER TABLE thread_rollups DROP CONSTRAINT thread_rollups_pkey`);
    await queryRunner.query(
      `ALTER TABLE thread_rollups ADD CONSTRAINT thread_rollups_pkey PRIMARY KEY (team_id, channel_id, day, thread_ts)`,
    );

    await queryRunner.query(`ALTER TABLE member_channel_day_rollups DROP CONSTRAINT member_channel_day_rollups_pkey`);
    await queryRunner.query(
      `ALTER TABLE member_channel_day_rollups ADD CONSTRAINT member_channel_day_rollups_pkey PRIMARY KEY (team_id, user_id, day, channel_id)`,
    );
    await queryRunner.query(`DROP INDEX member_channel_day_rollups_channel_day_idx`);
    await queryRunner.query(
      `CREATE INDEX member_channel_day_rollups_team_channel_day_idx ON member_channel_day_rollups (team_id, channel_id, day)`,
    );

    await queryRunner.query(`DROP INDEX member_day_rollups_user_day_idx`);
    await queryRunner.query(`CREATE INDEX member_day_rollups_team_user_day_idx ON member_day_rollups (team_id, user_id, day)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX member_day_rollups_team_user_day_idx`);
    await queryRunner.query(`CREATE INDEX member_day_rollups_user_day_idx ON member_day_rollups (user_id, day)`);

    await queryRunner.query(`DROP INDEX member_channel_day_rollups_team_channel_day_idx`);
    await queryRunner.query(`CREATE INDEX member_channel_day_rollups_channel_day_idx ON member_channel_day_rollups (channel_id, day)`);
    await queryRunner.query(`ALTER TABLE member_channel_day_rollups DROP CONSTRAINT member_channel_day_rollups_pkey`);
    await queryRunner.query(
      `ALTER TABLE member_channel_day_rollups ADD CONSTRAINT member_channel_day_rollups_pkey PRIMARY KEY (user_id, day, channel_id)`,
    );

    await queryRunner.query(`ALTER TABLE thread_rollups DROP CONSTRAINT thread_rollups_pkey`);
    await queryRunner.query(`ALTER TABLE thread_rollups ADD CONSTRAINT thread_rollups_pkey PRIMARY KEY (channel_id, day, thread_ts)`);

    await queryRunner.query(`ALTER TABLE channel_day_rollups DROP CONSTRAINT channel_day_rollups_pkey`);
    await queryRunner.query(`ALTER TABLE channel_day_rollups ADD CONSTRAINT channel_day_rollups_pkey PRIMARY KEY (channel_id, day)`);
  }
}
