import { AggregationRun } from './aggregation-run.entity';
import { AggregationState } from './aggregation-state.entity';
import { Channel } from './channel.entity';
import { ChannelSyncState } from './channel-sync-state.entity';
import { Message } from './message.entity';
import {
  ChannelDayRollup,
  MemberChannelDayRollup,
  MemberDayRollup,
  TeamActivityRollup,
  TeamHourRollup,
  ThreadRollup,
} from './metric-rollups.entity';
import { ProcessedEvent } from './processed-event.entity';
import { SlackUser } from './slack-user.entity';
import { Workspace } from './workspace.entity';

export * from './aggregation-run.entity';
export * from './aggregation-state.entity';
export * from './channel.entity';
export * from './channel-sync-state.entity';
export * from './message.entity';
export * from './metric-rollups.entity';
export * from './processed-event.entity';
export * from './slack-user.entity';
export * from './workspace.entity';

/** Every entity the DataSource maps. */
export const ENTITIES = [
  Workspace, Channel, SlackUser, Message, ChannelSyncState, ProcessedEvent,
  ChannelDayRollup, ThreadRollup, MemberChannelDayRollup, MemberDayRollup, TeamActivityRollup, TeamHourRollup, AggregationRun, AggregationState,
];
