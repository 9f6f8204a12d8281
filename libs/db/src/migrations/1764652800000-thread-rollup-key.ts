import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * thread_rollups keyed by (channel_id, day, thread_ts): a thread's day follows
 * from its ts, so the key stays unique, and it serves a channel's day ranges,
 * which needed an index of their own; one index fewer to build on every full
 * aggregation run.
 */
export class ThreadRollupKey1764652800000 implements MigrationInterface {
  name = 'ThreadRollupKey1764652800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE thread_rollups DROP CONSTRAINT thread_rollups_pkey`);
    await queryRunner.query(`ALTER TABLE thread_rollups ADD CONSTRAINT thread_rollups_pkey PRIMARY KEY (channel_id, day, thread_ts)`);
    await queryRunner.query(`DROP INDEX thread_rollups_channel_day_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX thread_rollups_channel_day_idx ON thread_rollups (channel_id, day)`);
    await queryRunner.query(`ALTER TABLE thread_rollups DROP CONSTRAINT thread_rollups_pkey`);
    await queryRunner.query(`ALTER TABLE thread_rollups ADD CONSTRAINT thread_rollups_pkey PRIMARY KEY (channel_id, thread_ts)`);
  }
}
