import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A channel day's reactions are a sum of per-message counts, each of which
 * may be anything an integer holds: two messages Slack reports with two
 * billion reactions each passed the integer range and stopped every
 * aggregation run. bigint holds the sum of any day's messages. Rewriting
 * the table is quick: it has one row per channel and day.
 */
export class WideReactionTotals1764998400000 implements MigrationInterface {
  name = 'WideReactionTotals1764998400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE channel_day_rollups ALTER COLUMN reactions TYPE bigint`);
  }

  /** Totals past the integer range are clamped to it; the next full aggregation run would fail on them again. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE channel_day_rollups ALTER COLUMN reactions TYPE integer USING least(reactions, 2147483647)`);
  }
}
