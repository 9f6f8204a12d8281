import { Column, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const CHANNEL_KINDS = ['public', 'private', 'im', 'mpim'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

@Entity({ name: 'channels' })
@Index('channels_team_id_name_idx', ['teamId', 'name'])
export class Channel {
  /** Slack conversation id (C…, G…, D…). */
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ name: 'team_id', type: 'text' })
  teamId: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', default: 'public' })
  kind: ChannelKind;

  @Column({ name: 'is_private', type: 'boolean', default: false })
  isPrivate: boolean;

  @Column({ name: 'is_archived', type: 'boolean', default: false })
  isArchived: boolean;

  /** When Slack says the channel was created. */
  @Column({ name: 'created', type: 'timestamptz', nullable: true })
  created: Date | null;

  @Column({ name: 'member_count', type: 'integer', nullable: true })
  memberCount: number | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
