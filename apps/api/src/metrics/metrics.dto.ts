import { AUDIENCES, CHANNEL_METRIC_FIELDS, CHANNEL_METRIC_SORTS, GRANULARITIES, USER_METRIC_SORTS } from '@app/metrics';
// Type-only: decorator metadata must not reference them at run time.
import type { Audience, ChannelMetricSort, Granularity, UserMetricSort } from '@app/metrics';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { SLACK_ID_PATTERN } from '@app/slack';
import { TeamRangeLimitQuery, TeamRangeQuery } from '../common/query.dto';

export class ChannelMetricsQuery extends TeamRangeLimitQuery {
  @ApiPropertyOptional({
    enum: CHANNEL_METRIC_SORTS,
    default: '-messages',
    description: 'Field to sort by; a leading `-` sorts descending',
  })
  @IsOptional()
  @IsIn(CHANNEL_METRIC_SORTS)
  sort?: ChannelMetricSort;
}

export class UserMetricsQuery extends TeamRangeLimitQuery {
  @ApiPropertyOptional({ enum: USER_METRIC_SORTS, default: '-messages', description: 'Field to sort by; a leading `-` sorts descending' })
  @IsOptional()
  @IsIn(USER_METRIC_SORTS)
  sort?: UserMetricSort;
}

function GranularityProperty(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ enum: GRANULARITIES, default: 'day', description: 'Period of each row; weeks are ISO weeks starting on Monday' }),
    IsOptional(),
    IsIn(GRANULARITIES),
  );
}

export class TeamSeriesQuery extends TeamRangeQuery {
  @GranularityProperty()
  granularity?: Granularity;
}

export class ChannelIdParam {
  @ApiProperty({ example: 'C0123ABCD' })
  @Matches(SLACK_ID_PATTERN, { message: 'channelId must be a Slack channel id' })
  channelId: string;
}

export class UserIdParam {
  @ApiProperty({ example: 'U0123ABCD' })
  @Matches(SLACK_ID_PATTERN, { message: 'userId must be a Slack user id' })
  userId: string;
}

class RangeEcho {
  @ApiProperty({ format: 'date', example: '2025-01-01' })
  from: string;

  @ApiProperty({ format: 'date', example: '2025-01-31' })
  to: string;
}

class TeamRangeEcho extends RangeEcho {
  @ApiProperty({ example: 'T0123ABCD' })
  teamId: string;
}

const SUMMARY_COUNT_CSV_COLUMNS = [
  'messages',
  'humanMessages',
  'threadReplies',
  'threadsStarted',
  'reactions',
  'activeMembers',
  'activeChannels',
] as const;
export const SUMMARY_CSV_COLUMNS = ['teamId', 'from', 'to', ...SUMMARY_COUNT_CSV_COLUMNS] as const;

/** The summary's counts, over a whole range or over one period of a series. */
class SummaryCountsDto {
  @ApiProperty({ description: 'Messages (system subtypes and deleted messages excluded), bots included' })
  messages: number;

  @ApiProperty({ description: 'Messages by humans (the rest are by bots)' })
  humanMessages: number;

  @ApiProperty()
  threadReplies: number;

  @ApiProperty({ description: 'Top-level messages of the range or period with at least one reply' })
  threadsStarted: number;

  @ApiProperty({ description: 'Reactions on messages posted in the range or period' })
  reactions: number;

  @ApiProperty({ description: 'Distinct humans who posted or reacted over the whole range or period' })
  activeMembers: number;

  @ApiProperty({ description: 'Channels with at least one message in the range or period' })
  activeChannels: number;
}

export class SummaryResponse extends IntersectionType(TeamRangeEcho, SummaryCountsDto) {}

export const WORKSPACE_SERIES_CSV_COLUMNS = ['date', ...SUMMARY_COUNT_CSV_COLUMNS] as const;

export class WorkspaceSeriesRow extends SummaryCountsDto {
  @ApiProperty({ format: 'date', description: 'First day of the period; only days inside from..to count' })
  date: string;
}

export class WorkspaceSeriesResponse extends TeamRangeEcho {
  @ApiProperty({ enum: GRANULARITIES })
  granularity: string;

  @ApiProperty({ type: [WorkspaceSeriesRow], description: 'One row per period, empty periods included' })
  data: WorkspaceSeriesRow[];
}

export class FreshnessResponse {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the last successful aggregation run finished; null before the first',
  })
  aggregatedAt: string | null;

  @ApiProperty({ example: 'Europe/Berlin', description: 'METRICS_TIMEZONE: the zone of every day and hour' })
  timezone: string;

  @ApiProperty({ format: 'date', description: 'Today in that zone: the default `to` of every range' })
  today: string;
}

export const ACTIVE_MEMBERS_CSV_COLUMNS = ['date', 'dau', 'wau', 'mau'] as const;

export class ActiveMembersRow {
  @ApiProperty({ format: 'date' })
  date: string;

  @ApiProperty({ description: 'Active members that day' })
  dau: number;

  @ApiProperty({ description: 'Distinct active members over that day and the 6 before it' })
  wau: number;

  @ApiProperty({ description: 'Distinct active members over that day and the 27 before it' })
  mau: number;
}

export class ActiveMembersResponse extends TeamRangeEcho {
  @ApiProperty({ type: [ActiveMembersRow], description: 'One row per day of the range' })
  data: ActiveMembersRow[];
}

export const CHANNEL_COUNT_CSV_COLUMNS = CHANNEL_METRIC_FIELDS;

class ChannelCountsDto {
  @ApiProperty()
  messages: number;

  @ApiProperty()
  humanMessages: number;

  @ApiProperty()
  threadReplies: number;

  @ApiProperty()
  threadsStarted: number;

  @ApiProperty()
  reactions: number;

  @ApiProperty({ description: 'Distinct humans who posted in the channel over the period' })
  activePosters: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median seconds to the first reply by another human, over threads started in the period',
  })
  firstReplyP50Seconds: number | null;

  @ApiProperty({ type: Number, nullable: true, description: '90th percentile of the same (linear interpolation)' })
  firstReplyP90Seconds: number | null;
}

export class ChannelMetricsRow extends ChannelCountsDto {
  @ApiProperty()
  channelId: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;
}

export class ChannelMetricsResponse extends TeamRangeEcho {
  @ApiProperty({ enum: CHANNEL_METRIC_SORTS })
  sort: string;

  @ApiProperty({ type: [ChannelMetricsRow], description: 'Channels with messages in the range' })
  data: ChannelMetricsRow[];
}

export class ChannelSeriesRow extends ChannelCountsDto {
  @ApiProperty({
    format: 'date',
    description: "First day of the period (the day, the ISO week's Monday or the month's 1st); only days inside from..to count",
  })
  date: string;
}

export class ChannelSeriesResponse extends TeamRangeEcho {
  @ApiProperty()
  channelId: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ enum: GRANULARITIES })
  granularity: string;

  @ApiProperty({ type: [ChannelSeriesRow] })
  data: ChannelSeriesRow[];
}

export const USER_COUNT_CSV_COLUMNS = ['messages', 'reactionsAdded', 'channelsActive', 'daysActive'] as const;

class UserCountsDto {
  @ApiProperty({ description: 'Human messages posted' })
  messages: number;

  @ApiProperty({ description: 'Reactions added to messages of the period (one per emoji per message)' })
  reactionsAdded: number;

  @ApiProperty({ description: 'Distinct channels where the member posted or reacted' })
  channelsActive: number;

  @ApiProperty({ description: 'Distinct days on which the member was active' })
  daysActive: number;
}

export class UserMetricsRow extends UserCountsDto {
  @ApiProperty()
  userId: string;

  @ApiProperty({ type: String, nullable: true, description: 'Slack user name; null for authors missing from users.json' })
  name: string | null;

  @ApiProperty({ type: String, nullable: true })
  realName: string | null;
}

export class UserMetricsResponse extends TeamRangeEcho {
  @ApiProperty({ enum: USER_METRIC_SORTS })
  sort: string;

  @ApiProperty({ type: [UserMetricsRow], description: 'Members active in the range' })
  data: UserMetricsRow[];
}

export class UserSeriesRow extends UserCountsDto {
  @ApiProperty({ format: 'date', description: 'First day of the period; only days inside from..to count' })
  date: string;
}

export class UserSeriesResponse extends TeamRangeEcho {
  @ApiProperty()
  userId: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ type: String, nullable: true })
  realName: string | null;

  @ApiProperty({ enum: GRANULARITIES })
  granularity: string;

  @ApiProperty({ type: [UserSeriesRow] })
  data: UserSeriesRow[];
}

export const HEATMAP_CSV_COLUMNS = ['weekday', 'hour', 'messages'] as const;

export class HeatmapCellDto {
  @ApiProperty({ minimum: 1, maximum: 7, description: 'ISO weekday, 1 = Monday' })
  weekday: number;

  @ApiProperty({ minimum: 0, maximum: 23, description: 'Hour of the day in METRICS_TIMEZONE' })
  hour: number;

  @ApiProperty()
  messages: number;
}

export class HeatmapResponse extends TeamRangeEcho {
  @ApiProperty({ example: 'Asia/Tokyo' })
  timezone: string;

  @ApiProperty({ type: [HeatmapCellDto], description: 'All 168 cells, Monday 00 first' })
  data: HeatmapCellDto[];
}

export class MemberChannelsQuery extends TeamRangeLimitQuery {
  @ApiPropertyOptional({ description: "Only this member's rows", example: 'U0123ABCD', pattern: SLACK_ID_PATTERN.source })
  @IsOptional()
  @Matches(SLACK_ID_PATTERN, { message: 'userId must be a Slack user id' })
  userId?: string;

  @ApiPropertyOptional({ description: "Only this channel's rows", example: 'C0123ABCD', pattern: SLACK_ID_PATTERN.source })
  @IsOptional()
  @Matches(SLACK_ID_PATTERN, { message: 'channelId must be a Slack channel id' })
  channelId?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, asked with the same other parameters', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}

export const MEMBER_CHANNEL_CSV_COLUMNS = ['userId', 'channelId', 'messages', 'reactionsAdded'] as const;

export class MemberChannelRow {
  @ApiProperty()
  userId: string;

  @ApiProperty()
  channelId: string;

  @ApiProperty({ description: 'Human messages the member posted in the channel' })
  messages: number;

  @ApiProperty({ description: 'Reactions the member added in the channel to messages of the range (one per emoji per message)' })
  reactionsAdded: number;
}

export class MemberChannelsResponse extends TeamRangeEcho {
  @ApiProperty({ type: [MemberChannelRow], description: 'Members active in a channel in the range, ordered by userId, then channelId' })
  data: MemberChannelRow[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page (CSV: X-Next-Cursor header)',
  })
  nextCursor: string | null;
}

export const TIME_ZONE_CSV_COLUMNS = ['timezone', 'members', 'share'] as const;

export class TimeZoneMembersRow {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Europe/Berlin',
    description: "The member's current profile time zone (IANA); null when unknown",
  })
  timezone: string | null;

  @ApiProperty({ description: 'Distinct members active over the whole range with that time zone' })
  members: number;

  @ApiProperty({ minimum: 0, maximum: 1, description: 'Their part of all active members of the range' })
  share: number;
}

export class TimeZonesResponse extends TeamRangeEcho {
  @ApiProperty({ type: [TimeZoneMembersRow], description: 'One row per time zone with active members, most members first' })
  data: TimeZoneMembersRow[];
}

export const AUDIENCE_CSV_COLUMNS = [
  'audience',
  'messages',
  'activePeople',
  'threadsStarted',
  'firstReplyP50Seconds',
  'firstReplyP90Seconds',
] as const;

export class AudienceRow {
  @ApiProperty({
    enum: AUDIENCES,
    description:
      "external: the author's team is not the workspace's; guest: a single- or multi-channel guest of the workspace; member: everyone else",
  })
  audience: Audience;

  @ApiProperty({ description: 'Human messages by people of the audience' })
  messages: number;

  @ApiProperty({ description: 'Distinct people of the audience who posted or reacted over the whole range' })
  activePeople: number;

  @ApiProperty({ description: 'Threads started in the range by people of the audience' })
  threadsStarted: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median seconds to the first reply by another human, over the threads they started',
  })
  firstReplyP50Seconds: number | null;

  @ApiProperty({ type: Number, nullable: true, description: '90th percentile of the same (linear interpolation)' })
  firstReplyP90Seconds: number | null;
}

export class AudienceResponse extends TeamRangeEcho {
  @ApiProperty({ type: [AudienceRow], description: 'member, guest and external, in that order, empty ones included' })
  data: AudienceRow[];
}
