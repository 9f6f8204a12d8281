import { AppConfig } from '@app/config';
import {
  CatalogueQueries,
  ChannelMetricSort,
  DayRange,
  Granularity,
  MemberChannelFilter,
  MetricsQueries,
  RollupCache,
  UserMetricSort,
} from '@app/metrics';
import { Injectable } from '@nestjs/common';
import { reusedBody } from '../common/reused-json';
import { encodeMemberChannelCursor } from './member-channel-cursor';
import type {
  ActiveMembersResponse,
  AudienceResponse,
  ChannelMetricsResponse,
  HeatmapResponse,
  MemberChannelsResponse,
  SummaryResponse,
  TimeZonesResponse,
  UserMetricsResponse,
  WorkspaceSeriesResponse,
} from './metrics.dto';

/**
 * The workspace endpoints' response bodies, cached by question (see RollupCache for when they
 * are dropped). The controller and the cache's warm-up ask through here, so a warmed answer is
 * the very entry a request finds.
 */
@Injectable()
export class MetricsAnswers {
  constructor(
    private readonly queries: MetricsQueries,
    private readonly catalogue: CatalogueQueries,
    private readonly config: AppConfig,
    private readonly cache: RollupCache,
  ) {}

  summary(teamId: string, range: DayRange): Promise<SummaryResponse> {
    return this.answer('summary', [teamId, range], async () => ({ teamId, ...range, ...(await this.queries.summary(teamId, range)) }));
  }

  series(teamId: string, range: DayRange, granularity: Granularity): Promise<WorkspaceSeriesResponse> {
    return this.answer('series', [teamId, range, granularity], async () => ({
      teamId,
      ...range,
      granularity,
      data: await this.queries.workspaceSeries(teamId, range, granularity),
    }));
  }

  activeMembers(teamId: string, range: DayRange): Promise<ActiveMembersResponse> {
    return this.answer('active-members', [teamId, range], async () => ({
      teamId,
      ...range,
      data: await this.queries.activeMembers(teamId, range),
    }));
  }

  channels(teamId: string, range: DayRange, sort: ChannelMetricSort, limit: number): Promise<ChannelMetricsResponse> {
    return this.answer('channels', [teamId, range, sort, limit], async () => ({
      teamId,
      ...range,
      sort,
      data: await this.queries.channelMetrics(teamId, range, sort, limit),
    }));
  }

  users(teamId: string, range: DayRange, sort: UserMetricSort, limit: number): Promise<UserMetricsResponse> {
    return this.answer('users', [teamId, range, sort, limit], async () => ({
      teamId,
      ...range,
      sort,
      data: await this.queries.userMetrics(teamId, range, sort, limit),
    }));
  }

  memberChannels(teamId: string, range: DayRange, filter: MemberChannelFilter): Promise<MemberChannelsResponse> {
    return this.answer('member-channels', [teamId, range, filter], async () => {
      const { rows, next } = await this.queries.memberChannels(teamId, range, filter);
      return { teamId, ...range, data: rows, nextCursor: next ? encodeMemberChannelCursor(next) : null };
    });
  }

  heatmap(teamId: string, range: DayRange): Promise<HeatmapResponse> {
    return this.answer('heatmap', [teamId, range], async () => ({
      teamId,
      ...range,
      timezone: this.config.metrics.timezone,
      data: await this.queries.heatmap(teamId, range),
    }));
  }

  timeZones(teamId: string, range: DayRange): Promise<TimeZonesResponse> {
    return this.answer('time-zones', [teamId, range], async () => ({
      teamId,
      ...range,
      data: await this.queries.timeZones(teamId, range),
    }));
  }

  audience(teamId: string, range: DayRange): Promise<AudienceResponse> {
    return this.answer('audience', [teamId, range], async () => ({
      teamId,
      ...range,
      data: await this.queries.audience(teamId, range),
    }));
  }

  workspaceIds(): Promise<string[]> {
    return this.cached('workspaces', [], () => this.catalogue.workspaceIds());
  }

  workspaceExists(teamId: string): Promise<boolean> {
    return this.cached('workspace', [teamId], () => this.catalogue.workspaceExists(teamId));
  }

  /** Values keyed by question. */
  cached<T>(name: string, parameters: unknown[], compute: () => Promise<T>): Promise<T> {
    return this.cache.get(`${name}:${JSON.stringify(parameters)}`, compute);
  }

  /** A whole response body, cached and sent as the JSON made when it was first sent. */
  answer<T extends object>(name: string, parameters: unknown[], compute: () => Promise<T>): Promise<T> {
    return this.cached(name, parameters, async () => reusedBody(await compute()));
  }
}
