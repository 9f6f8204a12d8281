import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far the collector got in one channel, committed page by page. */
@Entity({ name: 'channel_sync_state' })
export class ChannelSyncState {
  @PrimaryColumn({ name: 'channel_id', type: 'text' })
  channelId: string;

  /** Newest message ts fully collected; the next run asks only for newer ones. */
  @Column({ name: 'newest_ts', type: 'text', nullable: true })
  newestTs: string | null;

  /** Resume point inside an unfinished history walk. */
  @Column({ name: 'pending_cursor', type: 'text', nullable: true })
  pendingCursor: string | null;

  @Column({ name: 'pending_newest_ts', type: 'text', nullable: true })
  pendingNewestTs: string | null;

  @Column({ name: 'last_run_at', type: 'timestamptz', nullable: true })
  lastRunAt: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_error_at', type: 'timestamptz', nullable: true })
  lastErrorAt: Date | null;
}
