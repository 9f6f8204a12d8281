import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The single row describing what the rollups currently reflect. */
@Entity({ name: 'aggregation_state' })
export class AggregationState {
  @PrimaryColumn({ type: 'boolean', default: true })
  id: boolean;

  /** METRICS_TIMEZONE the rollups were computed in; another zone forces a full run. */
  @Column({ type: 'text' })
  timezone: string;

  /** Raw changes (messages.updated_at) before this instant are reflected in the rollups. */
  @Column({ name: 'changes_seen_until', type: 'timestamptz' })
  changesSeenUntil: Date;

  /** Bot users (users.is_bot) as classified by the rollups; a difference marks their days as touched. */
  @Column({ name: 'bot_user_ids', type: 'text', array: true })
  botUserIds: string[];

  /** Bumped by every run that changed rollups; the API's response cache keys on it. */
  @Column({ type: 'bigint', default: 1 })
  generation: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
