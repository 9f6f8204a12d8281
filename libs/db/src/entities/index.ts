import { Channel } from './channel.entity';
import { ChannelSyncState } from './channel-sync-state.entity';
import { Message } from './message.entity';
import { ProcessedEvent } from './processed-event.entity';
import { SlackUser } from './slack-user.entity';
import { Workspace } from './workspace.entity';

export * from './channel.entity';
export * from './channel-sync-state.entity';
export * from './message.entity';
export * from './processed-event.entity';
export * from './slack-user.entity';
export * from './workspace.entity';

/** Every entity the DataSource maps. */
export const ENTITIES = [Workspace, Channel, SlackUser, Message, ChannelSyncState, ProcessedEvent];
