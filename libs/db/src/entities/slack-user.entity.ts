import { Column, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'users' })
@Index('users_team_id_idx', ['teamId'])
export class SlackUser {
  /** Slack user id (U…, W…). */
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ name: 'team_id', type: 'text' })
  teamId: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ name: 'real_name', type: 'text', nullable: true })
  realName: string | null;

  @Column({ name: 'is_bot', type: 'boolean', default: false })
  isBot: boolean;

  @Column({ name: 'is_deleted', type: 'boolean', default: false })
  isDeleted: boolean;

  /** IANA time zone from the Slack profile. */
  @Column({ type: 'text', nullable: true })
  tz: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
