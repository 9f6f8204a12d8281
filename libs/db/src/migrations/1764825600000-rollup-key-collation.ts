import { MigrationInterface, QueryRunner } from 'typeorm';

/** The text columns of the rollup tables: Slack ids, all ASCII. */
const ROLLUP_TEXT_COLUMNS: Record<string, string[]> = {
  channel_day_rollups: ['channel_id', 'team_id'],
  thread_rollups: ['channel_id', 'team_id', 'thread_ts'],
  member_channel_day_rollups: ['user_id', 'channel_id', 'team_id'],
  member_day_rollups: ['team_id', 'user_id'],
  team_activity_rollups: ['team_id'],
  team_hour_rollups: ['team_id'],
};

/**
 * Rollup ids compare byte by byte (collation "C"). They are ASCII, so the
 * order is the same as under any locale, but a locale's collation compares
 * through the C library and cannot use abbreviated keys: building the rollup
 * indexes after a full aggregation run took up to twice as long.
 */
export class RollupKeyCollation1764825600000 implements MigrationInterface {
  name = 'RollupKeyCollation1764825600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.setCollation(queryRunner, 'COLLATE "C"');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.setCollation(queryRunner, '');
  }

  private async setCollation(queryRunner: QueryRunner, collation: string): Promise<void> {
    for (const [table, columns] of Object.entries(ROLLUP_TEXT_COLUMNS)) {
      const changes = columns.map((column) => `ALTER COLUMN ${column} TYPE text ${collation}`).join(', ');
      await queryRunner.query(`ALTER TABLE ${table} ${changes}`);
    }
  }
}
