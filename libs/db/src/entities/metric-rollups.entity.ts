import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Counts per channel and calendar day (METRICS_TIMEZONE); written only by aggregation. */
@Entity({ name: 'channel_day_rollups' })
@Index('channel_day_rollups_team_day_idx', ['teamId', 'day'])
export class ChannelDayRollup {
  @PrimaryColumn({ name: 'channel_id', type: 'text', collation: 'C' })
  channelId: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ name: 'team_id', type: 'text', collation: 'C' })
  teamId: string;

  @Column({ type: 'integer' })
  messages: number;

  @Column({ name: 'human_messages', type: 'integer' })
  humanMessages: number;

  @Column({ name: 'thread_replies', type: 'integer' })
  threadReplies: number;

  @Column({ name: 'threads_started', type: 'integer' })
  threadsStarted: number;

  /** A sum of per-message counts that may each fill an integer; read as a number by the API (exact below 2^53). */
  @Column({ type: 'bigint' })
  reactions: string;

  @Column({ name: 'last_message_at', type: 'timestamptz' })
  lastMessageAt: Date;
}

/** A thread started on `day` (its parent's day) and its first-reply time, for percentiles over any range. */
@Entity({ name: 'thread_rollups' })
@Index('thread_rollups_day_team_idx', ['day', 'teamId'])
export class ThreadRollup {
  @PrimaryColumn({ name: 'channel_id', type: 'text', collation: 'C' })
  channelId: string;

  /** In the key, after the channel, for a channel's day ranges; the thread alone already makes it unique. */
  @PrimaryColumn({ type: 'date' })
  day: string;

  @PrimaryColumn({ name: 'thread_ts', type: 'text', collation: 'C' })
  threadTs: string;

  @Column({ name: 'team_id', type: 'text', collation: 'C' })
  teamId: string;

  /** Seconds to the first reply by a human other than the parent's author; null when there is none. */
  @Column({ name: 'first_reply_seconds', type: 'double precision', nullable: true })
  firstReplySeconds: number | null;
}

/** A member's activity in one channel on one day (human messages posted, reactions added). */
@Entity({ name: 'member_channel_day_rollups' })
@Index('member_channel_day_rollups_day_team_idx', ['day', 'teamId'])
@Index('member_channel_day_rollups_channel_day_idx', ['channelId', 'day'])
export class MemberChannelDayRollup {
  @PrimaryColumn({ name: 'user_id', type: 'text', collation: 'C' })
  userId: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @PrimaryColumn({ name: 'channel_id', type: 'text', collation: 'C' })
  channelId: string;

  @Column({ name: 'team_id', type: 'text', collation: 'C' })
  teamId: string;

  @Column({ type: 'integer' })
  messages: number;

  @Column({ name: 'reactions_added', type: 'integer' })
  reactionsAdded: number;
}

/** A member's activity on one day across a workspace's channels. */
@Entity({ name: 'member_day_rollups' })
@Index('member_day_rollups_user_day_idx', ['userId', 'day'])
export class MemberDayRollup {
  @PrimaryColumn({ type: 'date' })
  day: string;

  @PrimaryColumn({ name: 'team_id', type: 'text', collation: 'C' })
  teamId: string;

  @PrimaryColumn({ name: 'user_id', type: 'text', collation: 'C' })
  userId: string;

  @Column({ type: 'integer' })
  messages: number;

  @Column({ name: 'reactions_added', type: 'integer' })
  reactionsAdded: number;

  @Column({ type: 'integer' })
  channels: number;
}

/** DAU, WAU and MAU of a workspace on a day (windows of 1, 7 and 28 days ending that day). */
@Entity({ name: 'team_activity_rollups' })
export class TeamActivityRollup {
  @PrimaryColumn({ name: 'team_id', type: 'text', collation: 'C' })
  teamId: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @Column({ type: 'integer' })
  dau: number;

  @Column({ type: 'integer' })
  wau: number;

  @Column({ type: 'integer' })
  mau: number;
}

/** Messages of a workspace per day and local hour, for the weekday × hour heatmap. */
@Entity({ name: 'team_hour_rollups' })
export class TeamHourRollup {
  @PrimaryColumn({ name: 'team_id', type: 'text', collation: 'C' })
  teamId: string;

  @PrimaryColumn({ type: 'date' })
  day: string;

  @PrimaryColumn({ type: 'smallint' })
  hour: number;

  @Column({ type: 'integer' })
  messages: number;
}
