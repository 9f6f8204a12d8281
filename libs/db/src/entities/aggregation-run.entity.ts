import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AGGREGATION_MODES = ['full', 'incremental', 'range'] as const;
export type AggregationMode = (typeof AGGREGATION_MODES)[number];
export const AGGREGATION_STATUSES = ['running', 'succeeded', 'failed'] as const;
export type AggregationStatus = (typeof AGGREGATION_STATUSES)[number];

/** One aggregation run: what it recomputed, how long it took and how it ended. */
@Entity({ name: 'aggregation_runs' })
@Index('aggregation_runs_started_at_idx', ['startedAt'])
export class AggregationRun {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'text' })
  mode: AggregationMode;

  /** Who asked: `cli`, `schedule`, `api`, `demo`. */
  @Column({ type: 'text' })
  trigger: string;

  /** First and last day recomputed (calendar days in METRICS_TIMEZONE); null when nothing was touched. */
  @Column({ name: 'from_day', type: 'date', nullable: true })
  fromDay: string | null;

  @Column({ name: 'to_day', type: 'date', nullable: true })
  toDay: string | null;

  /** Number of days recomputed (touched days may be sparse within from..to). */
  @Column({ type: 'integer', default: 0 })
  days: number;

  /** Rollup rows written. */
  @Column({ type: 'integer', default: 0 })
  rows: number;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;

  @Column({ type: 'text' })
  status: AggregationStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
