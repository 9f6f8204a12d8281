import { MigrationInterface, QueryRunner } from 'typeorm';
import { AGGREGATION_LOCK_KEY } from '../advisory-lock';

/**
 * The heatmap now counts a channel's messages for the workspace its channel
 * day counts for; before, each hour of a channel shared between workspaces
 * could count for either. Forgetting the aggregation state makes the next
 * `worker aggregate` a full run, which rebuilds every rollup by the new rule.
 */
export class RecountTeamHours1764912000000 implements MigrationInterface {
  name = 'RecountTeamHours1764912000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // After a run in progress, which would otherwise write the state back as it commits.
    await queryRunner.query('SELECT pg_advisory_xact_lock($1)', [AGGREGATION_LOCK_KEY]);
    await queryRunner.query('DELETE FROM aggregation_state');
  }

  /** Nothing to restore: the next aggregation run writes the state again. */
  async down(): Promise<void> {}
}
