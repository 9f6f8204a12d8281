import { AppConfig } from '@app/config';
import { MemberFlowQueries, MetricsQueries, dayInZone } from '@app/metrics';
import { BadRequestException, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiNotFound, ApiOkJsonOrCsv, ApiV1Controller } from '../common/api-docs';
import { CsvRows } from '../common/csv.interceptor';
import { resolveRange } from '../common/date-range';
import { DEFAULT_LIMIT, TeamRangeQuery } from '../common/query.dto';
import { decodeMemberChannelCursor } from './member-channel-cursor';
import { MetricsAnswers } from './metrics-answers';
import {
  MEMBERS_FLOW_CSV_COLUMNS,
  MembersFlowQuery,
  MembersFlowResponse,
  RETENTION_CSV_COLUMNS,
  RetentionQuery,
  RetentionResponse,
} from './members-flow.dto';
import {
  ACTIVE_MEMBERS_CSV_COLUMNS,
  ActiveMembersResponse,
  AUDIENCE_CSV_COLUMNS,
  AudienceResponse,
  CHANNEL_COUNT_CSV_COLUMNS,
  ChannelIdParam,
  ChannelMetricsQuery,
  ChannelMetricsResponse,
  ChannelSeriesResponse,
  FreshnessResponse,
  HEATMAP_CSV_COLUMNS,
  HeatmapResponse,
  MEMBER_CHANNEL_CSV_COLUMNS,
  MemberChannelsQuery,
  MemberChannelsResponse,
  SUMMARY_CSV_COLUMNS,
  SummaryResponse,
  TIME_ZONE_CSV_COLUMNS,
  TimeZonesResponse,
  USER_COUNT_CSV_COLUMNS,
  UserIdParam,
  UserMetricsQuery,
  UserMetricsResponse,
  UserSeriesResponse,
  WORKSPACE_SERIES_CSV_COLUMNS,
  TeamSeriesQuery,
  WorkspaceSeriesResponse,
} from './metrics.dto';

@ApiV1Controller('metrics', 'metrics')
export class MetricsController {
  constructor(
    private readonly queries: MetricsQueries,
    private readonly config: AppConfig,
    private readonly answers: MetricsAnswers,
    private readonly memberFlow: MemberFlowQueries,
  ) {}

  @Get('summary')
  @ApiOperation({ summary: 'Totals over a range; distinct counts are over the whole range' })
  @ApiOkJsonOrCsv(SummaryResponse, 'Totals of the range')
  @ApiNotFound('workspace')
  @CsvRows(SUMMARY_CSV_COLUMNS, 'summary', 'body')
  async summary(@Query() query: TeamRangeQuery): Promise<SummaryResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    return this.answers.summary(teamId, range);
  }

  @Get('series')
  @ApiOperation({ summary: 'The summary of every day, ISO week or month of a range' })
  @ApiOkJsonOrCsv(WorkspaceSeriesResponse, 'One row per period, empty periods included')
  @ApiNotFound('workspace')
  @CsvRows(WORKSPACE_SERIES_CSV_COLUMNS, 'series')
  async series(@Query() query: TeamSeriesQuery): Promise<WorkspaceSeriesResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    const granularity = query.granularity ?? 'day';
    return this.answers.series(teamId, range, granularity);
  }

  /** Not cached: the run's row is finished after its rollups commit and announce the change. */
  @Get('freshness')
  @ApiOperation({ summary: 'When the numbers were last rolled up, and the zone and day they are counted in' })
  @ApiOkResponse({ type: FreshnessResponse })
  async freshness(): Promise<FreshnessResponse> {
    const timezone = this.config.metrics.timezone;
    return { aggregatedAt: await this.queries.lastAggregatedAt(), timezone, today: dayInZone(new Date(), timezone) };
  }

  @Get('active-members')
  @ApiOperation({ summary: 'DAU, WAU and MAU for every day of a range' })
  @ApiOkJsonOrCsv(ActiveMembersResponse, 'One row per day')
  @ApiNotFound('workspace')
  @CsvRows(ACTIVE_MEMBERS_CSV_COLUMNS, 'active-members')
  async activeMembers(@Query() query: TeamRangeQuery): Promise<ActiveMembersResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    return this.answers.activeMembers(teamId, range);
  }

  @Get('channels')
  @ApiOperation({ summary: 'Per channel totals over a range' })
  @ApiOkJsonOrCsv(ChannelMetricsResponse, 'Channels with messages in the range')
  @ApiNotFound('workspace')
  @CsvRows(['channelId', 'name', ...CHANNEL_COUNT_CSV_COLUMNS], 'channels')
  async channels(@Query() query: ChannelMetricsQuery): Promise<ChannelMetricsResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    const sort = query.sort ?? '-messages';
    const limit = query.limit ?? DEFAULT_LIMIT;
    return this.answers.channels(teamId, range, sort, limit);
  }

  @Get('channels/:channelId')
  @ApiOperation({ summary: 'One channel as a series by day, ISO week or month' })
  @ApiOkJsonOrCsv(ChannelSeriesResponse, 'One row per period, empty periods included')
  @ApiNotFound('channel')
  @CsvRows(['date', ...CHANNEL_COUNT_CSV_COLUMNS], 'channel-series')
  async channel(@Param() { channelId }: ChannelIdParam, @Query() query: TeamSeriesQuery): Promise<ChannelSeriesResponse> {
    const range = this.range(query);
    const candidates = await this.candidateWorkspaces(query.teamId);
    const channel = await this.answers.cached('channel', [channelId, candidates], () => this.queries.channelKnown(channelId, candidates));
    if (!channel) throw new NotFoundException(`no channel ${channelId}`);
    // A channel's numbers are its workspace's unless another workspace it is shared with is asked for.
    const teamId = query.teamId ?? channel.teamId;
    const granularity = query.granularity ?? 'day';
    return this.answers.answer('channel-series', [teamId, channelId, range, granularity], async () => ({
      teamId,
      channelId,
      name: channel.name,
      ...range,
      granularity,
      data: await this.queries.channelSeries(teamId, channelId, range, granularity),
    }));
  }

  @Get('users')
  @ApiOperation({ summary: 'Per member totals over a range' })
  @ApiOkJsonOrCsv(UserMetricsResponse, 'Members active in the range')
  @ApiNotFound('workspace')
  @CsvRows(['userId', 'name', 'realName', ...USER_COUNT_CSV_COLUMNS], 'users')
  async users(@Query() query: UserMetricsQuery): Promise<UserMetricsResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    const sort = query.sort ?? '-messages';
    const limit = query.limit ?? DEFAULT_LIMIT;
    return this.answers.users(teamId, range, sort, limit);
  }

  @Get('users/channels')
  @ApiOperation({ summary: "Each member's messages and reactions per channel over a range, a page at a time" })
  @ApiOkJsonOrCsv(MemberChannelsResponse, 'A page of (member, channel) rows')
  @ApiNotFound('workspace')
  @CsvRows(MEMBER_CHANNEL_CSV_COLUMNS, 'member-channels')
  async memberChannels(@Query() query: MemberChannelsQuery): Promise<MemberChannelsResponse> {
    const range = this.range(query);
    const after = query.cursor ? decodeMemberChannelCursor(query.cursor) : undefined;
    const teamId = await this.workspace(query.teamId);
    return this.answers.memberChannels(teamId, range, {
      userId: query.userId,
      channelId: query.channelId,
      after,
      limit: query.limit ?? DEFAULT_LIMIT,
    });
  }

  @Get('users/:userId')
  @ApiOperation({ summary: 'One member as a series by day, ISO week or month' })
  @ApiOkJsonOrCsv(UserSeriesResponse, 'One row per period, empty periods included')
  @ApiNotFound('user')
  @CsvRows(['date', ...USER_COUNT_CSV_COLUMNS], 'user-series')
  async user(@Param() { userId }: UserIdParam, @Query() query: TeamSeriesQuery): Promise<UserSeriesResponse> {
    const range = this.range(query);
    const candidates = await this.candidateWorkspaces(query.teamId);
    const user = await this.answers.cached('user', [userId, candidates], () => this.queries.userKnown(userId, candidates));
    if (!user) throw new NotFoundException(`no user ${userId}`);
    const { teamId: knownTeamId, ...profile } = user;
    // Someone of a team that is not stored (Slack Connect) is counted in the workspace asked for, or the only one.
    const teamId =
      query.teamId ?? (knownTeamId && (await this.answers.workspaceExists(knownTeamId)) ? knownTeamId : await this.workspace(undefined));
    const granularity = query.granularity ?? 'day';
    return this.answers.answer('user-series', [teamId, userId, range, granularity], async () => ({
      teamId,
      ...profile,
      ...range,
      granularity,
      data: await this.queries.userSeries(teamId, userId, range, granularity),
    }));
  }

  @Get('heatmap')
  @ApiOperation({ summary: 'Messages by ISO weekday and hour of day in METRICS_TIMEZONE' })
  @ApiOkJsonOrCsv(HeatmapResponse, '168 cells')
  @ApiNotFound('workspace')
  @CsvRows(HEATMAP_CSV_COLUMNS, 'heatmap')
  async heatmap(@Query() query: TeamRangeQuery): Promise<HeatmapResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    return this.answers.heatmap(teamId, range);
  }

  @Get('retention')
  @ApiOperation({ summary: 'Cohorts by the week or month of their first activity, and the share of each active in the 12 periods after' })
  @ApiOkJsonOrCsv(RetentionResponse, 'One row per cohort and period')
  @ApiNotFound('workspace')
  @CsvRows(RETENTION_CSV_COLUMNS, 'retention')
  async retention(@Query() query: RetentionQuery): Promise<RetentionResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    const granularity = query.granularity ?? 'week';
    return this.answers.answer('retention', [teamId, range, granularity], async () => ({
      teamId,
      ...range,
      granularity,
      data: await this.memberFlow.retention(teamId, range, granularity),
    }));
  }

  @Get('members-flow')
  @ApiOperation({ summary: 'New, returning and churned members of every day, ISO week or month of a range' })
  @ApiOkJsonOrCsv(MembersFlowResponse, 'One row per period, empty periods included')
  @ApiNotFound('workspace')
  @CsvRows(MEMBERS_FLOW_CSV_COLUMNS, 'members-flow')
  async membersFlow(@Query() query: MembersFlowQuery): Promise<MembersFlowResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    const granularity = query.granularity ?? 'week';
    return this.answers.answer('members-flow', [teamId, range, granularity], async () => ({
      teamId,
      ...range,
      granularity,
      data: await this.memberFlow.membersFlow(teamId, range, granularity),
    }));
  }

  @Get('time-zones')
  @ApiOperation({ summary: 'Distinct active members over a range by their current profile time zone' })
  @ApiOkJsonOrCsv(TimeZonesResponse, 'One row per time zone, most members first')
  @ApiNotFound('workspace')
  @CsvRows(TIME_ZONE_CSV_COLUMNS, 'time-zones')
  async timeZones(@Query() query: TeamRangeQuery): Promise<TimeZonesResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    return this.answers.timeZones(teamId, range);
  }

  @Get('audience')
  @ApiOperation({ summary: 'Members, guests and external people: messages, active people, threads started and their first replies' })
  @ApiOkJsonOrCsv(AudienceResponse, 'One row per audience')
  @ApiNotFound('workspace')
  @CsvRows(AUDIENCE_CSV_COLUMNS, 'audience')
  async audience(@Query() query: TeamRangeQuery): Promise<AudienceResponse> {
    const range = this.range(query);
    const teamId = await this.workspace(query.teamId);
    return this.answers.audience(teamId, range);
  }

  private range(query: { from?: string; to?: string }) {
    return resolveRange(query, this.config.metrics.timezone);
  }

  /** Where an id never listed is looked for in the rollups: the requested workspace (404 when unknown), else every one stored. */
  private async candidateWorkspaces(teamId: string | undefined): Promise<string[]> {
    return teamId ? [await this.workspace(teamId)] : this.answers.workspaceIds();
  }

  /** The requested workspace, or the only one stored when none is named. */
  private async workspace(teamId: string | undefined): Promise<string> {
    if (teamId) {
      if (!(await this.answers.workspaceExists(teamId))) throw new NotFoundException(`no workspace ${teamId}`);
      return teamId;
    }
    const ids = await this.answers.workspaceIds();
    if (ids.length === 1) return ids[0];
    if (ids.length === 0) throw new NotFoundException('no workspace has been collected yet');
    throw new BadRequestException(`teamId is required: ${ids.length} workspaces are stored`);
  }
}
