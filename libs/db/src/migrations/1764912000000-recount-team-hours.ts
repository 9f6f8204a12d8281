import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The heatmap now counts a channel's messages for the workspace its channel
 * day counts for; before, each hour of a channel shared between workspaces
 * could count for either. Forgetting the aggregation state makes the next
 * `worker aggregate` a full run, which rebuilds every rollup by the new rule.
 */
export class RecountTeamHours1764912000000 implements MigrationInterface {
  name = 'RecountTeamHours1764912000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM aggregation_state');
  }

  /** Nothing to restore: the next aggregation run writes the state again. */
  async down(): Promise<void> {}
}
