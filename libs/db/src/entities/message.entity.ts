import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const MESSAGE_SOURCES = ['collect', 'events', 'import'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

/** One emoji on a message and who added it, as far as the source says. */
export interface MessageReaction {
  name: string;
  count: number;
  users: string[];
}

/**
 * Message metadata. Identity is Slack's own (channel, ts), so every source
 * writing the same message updates one row.
 */
@Entity({ name: 'messages' })
@Index('messages_posted_at_idx', ['postedAt'])
@Index('messages_updated_at_idx', ['updatedAt'])
export class Message {
  @PrimaryColumn({ name: 'channel_id', type: 'text' })
  channelId: string;

  /** Slack timestamp, the message id within its channel ("1700000000.000100"). */
  @PrimaryColumn({ type: 'text' })
  ts: string;

  @Column({ name: 'team_id', type: 'text' })
  teamId: string;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId: string | null;

  @Column({ name: 'bot_id', type: 'text', nullable: true })
  botId: string | null;

  @Column({ name: 'thread_ts', type: 'text', nullable: true })
  threadTs: string | null;

  @Column({ type: 'text', nullable: true })
  subtype: string | null;

  @Column({ name: 'posted_at', type: 'timestamptz' })
  postedAt: Date;

  /** Bot by the message's own marks (bot_message subtype or a bot_id); bot users are joined in at aggregation. */
  @Column({ name: 'is_bot', type: 'boolean', default: false })
  isBot: boolean;

  @Column({ name: 'reply_count', type: 'integer', default: 0 })
  replyCount: number;

  @Column({ name: 'latest_reply_ts', type: 'text', nullable: true })
  latestReplyTs: string | null;

  @Column({ name: 'reaction_count', type: 'integer', default: 0 })
  reactionCount: number;

  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  reactions: MessageReaction[];

  /** Distinct users known to have reacted. */
  @Column({ type: 'text', array: true, default: () => "'{}'::text[]" })
  reactors: string[];

  @Column({ name: 'file_count', type: 'integer', default: 0 })
  fileCount: number;

  /** Only kept when STORE_MESSAGE_TEXT=true. */
  @Column({ type: 'text', nullable: true })
  text: string | null;

  @Column({ name: 'edited_at', type: 'timestamptz', nullable: true })
  editedAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ type: 'text' })
  source: MessageSource;

  /** Set on every change; incremental aggregation finds touched days through it. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
