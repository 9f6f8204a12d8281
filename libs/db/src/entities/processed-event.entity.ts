import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Events API deliveries already applied; Slack retries carry the same event_id. */
@Entity({ name: 'processed_events' })
@Index('processed_events_received_at_idx', ['receivedAt'])
export class ProcessedEvent {
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId: string;

  @Column({ name: 'team_id', type: 'text', nullable: true })
  teamId: string | null;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
