import { AppConfig } from '@app/config';
import { refusedValueSqlState } from '@app/db';
import { Telemetry } from '@app/observability';
import { isSlackId, SlackChannel, SlackMessage, SlackUser } from '@app/slack';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  channelKindOfEventType,
  channelRecord,
  InvalidRecordError,
  isSlackTs,
  MAX_CHANNEL_NAME_LENGTH,
  MessageProblem,
  MessageRecord,
  readMessage,
  storableText,
  userRecord,
} from '../records';
import { ActivityStore } from '../store/activity-store';

/** An Events API `event_callback` envelope, as far as ingestion reads it. */
export interface EventCallback {
  type: 'event_callback';
  event_id: string;
  team_id?: string;
  event: SlackEvent;
}

export interface SlackEvent extends SlackMessage {
  type: string;
  channel?: string | SlackChannel;
  channel_type?: string;
  event_ts?: string;
  message?: SlackMessage;
  previous_message?: SlackMessage;
  deleted_ts?: string;
  reaction?: string;
  item?: { type?: string; channel?: string; ts?: string };
  user?: string;
}

/** Event types the applier stores; anything else is acknowledged and ignored. */
export const HANDLED_EVENT_TYPES = [
  'message',
  'reaction_added',
  'reaction_removed',
  'channel_created',
  'channel_rename',
  'channel_archive',
  'channel_unarchive',
  'member_joined_channel',
  'member_left_channel',
  'team_join',
  'user_change',
] as const;

export type EventOutcome = 'stored' | 'duplicate' | 'ignored' | 'skipped';

/** Why a delivery was acknowledged without storing anything. */
export type EventSkipReason = MessageProblem | 'refused by the database';

/** Thrown inside a delivery's transaction to roll it back: nothing of it is stored. */
class UnusableEvent extends Error {
  constructor(readonly reason: EventSkipReason) {
    super(reason);
  }
}

/** The event-user payloads (team_join, user_change) carry a user object instead of an id. */
interface UserEvent {
  user?: SlackUser;
}

/**
 * Applies Events API deliveries to the raw tables. Each delivery is one
 * transaction that first claims its event_id, so a retried delivery finds the
 * claim and changes nothing, and a failed one leaves no claim behind and is
 * applied when Slack retries it. A delivery whose values no retry can make
 * storable (an id that is no Slack id, a message without a usable ts, a value
 * the database refuses) is rolled back whole, counted and acknowledged:
 * answering 500 would only make Slack send it again and then give up.
 */
@Injectable()
export class SlackEventApplier {
  private readonly logger = new Logger('SlackEvents');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly telemetry: Telemetry,
  ) {}

  async apply(envelope: EventCallback): Promise<EventOutcome> {
    const event = envelope.event;
    const type = (HANDLED_EVENT_TYPES as readonly string[]).includes(event.type) ? event.type : undefined;
    if (!type) return 'ignored';
    const teamId = envelope.team_id ?? event.team;
    if (!teamId) return 'ignored';
    let outcome: 'stored' | 'duplicate';
    let stored = 0;
    try {
      outcome = await ActivityStore.transaction(this.dataSource, async (store) => {
        if (!(await store.claimEvent(envelope.event_id, teamId, type))) return 'duplicate' as const;
        await store.ensureWorkspace(teamId);
        stored = await this.applyEvent(store, teamId, event);
        return 'stored' as const;
      });
    } catch (error) {
      const reason = skipReasonOf(error);
      if (!reason) throw error;
      this.telemetry.eventsSkipped.inc({ type, reason });
      const detail =
        error instanceof InvalidRecordError
          ? `: ${error.message}`
          : reason === 'refused by the database'
            ? ` (SQLSTATE ${refusedValueSqlState(error)})`
            : '';
      this.logger.warn(`skipped a ${type} event${isSlackId(envelope.event_id) ? ` ${envelope.event_id}` : ''}, ${reason}${detail}`);
      return 'skipped';
    }
    if (outcome === 'duplicate') {
      this.telemetry.eventsDeduplicated.inc();
    } else {
      this.telemetry.recordMessagesStored('events', stored);
      this.telemetry.eventsReceived.inc({ type });
    }
    return outcome;
  }

  /** Returns how many messages the event stored or changed. */
  private async applyEvent(store: ActivityStore, teamId: string, event: SlackEvent): Promise<number> {
    switch (event.type) {
      case 'message':
        return this.applyMessage(store, teamId, event);
      case 'reaction_added':
      case 'reaction_removed': {
        const { item, user } = event;
        const reaction = storableText(event.reaction);
        if (item?.type !== 'message' || !item.channel || !isSlackTs(item.ts) || !reaction || !user) return 0;
        await store.ensureUser(user, teamId);
        const change =
          event.type === 'reaction_added'
            ? await store.addReaction(item.channel, item.ts, reaction, user)
            : await store.removeReaction(item.channel, item.ts, reaction, user);
        // A reaction on a message not stored yet is left to the collector or an import, which carry the totals.
        if (change === 'unknown-message') this.logger.debug(`${event.type} on a message not stored yet (${item.channel})`);
        return change === 'changed' ? 1 : 0;
      }
      case 'channel_created':
      case 'channel_rename': {
        const channel = typeof event.channel === 'object' ? event.channel : undefined;
        if (!channel?.id) return 0;
        if (event.type === 'channel_created') {
          await store.upsertChannels([channelRecord({ ...channel, id: channel.id }, teamId)]);
        } else {
          await store.ensureChannel(channel.id, teamId, channel.is_private ? 'private' : 'public');
          const name = storableText(channel.name, MAX_CHANNEL_NAME_LENGTH);
          if (name) await store.renameChannel(channel.id, name);
        }
        return 0;
      }
      case 'channel_archive':
      case 'channel_unarchive': {
        if (typeof event.channel !== 'string') return 0;
        await store.ensureChannel(event.channel, teamId, 'public');
        await store.setChannelArchived(event.channel, event.type === 'channel_archive');
        return 0;
      }
      case 'member_joined_channel':
      case 'member_left_channel': {
        if (typeof event.channel !== 'string' || !event.user) return 0;
        await store.ensureChannel(event.channel, teamId, channelKindOfEventType(event.channel_type));
        await store.ensureUser(event.user, teamId);
        await store.adjustMemberCount(event.channel, event.type === 'member_joined_channel' ? 1 : -1);
        return 0;
      }
      case 'team_join':
      case 'user_change': {
        const user = (event as UserEvent).user;
        if (typeof user !== 'object' || !user?.id) return 0;
        await store.upsertUsers([userRecord({ ...user, id: user.id }, teamId)]);
        return 0;
      }
      default:
        return 0;
    }
  }

  private async applyMessage(store: ActivityStore, teamId: string, event: SlackEvent): Promise<number> {
    if (typeof event.channel !== 'string') return 0;
    const channelId = event.channel;
    await store.ensureChannel(channelId, teamId, channelKindOfEventType(event.channel_type));
    const context = { teamId, channelId, storeText: this.config.privacy.storeMessageText };

    if (event.subtype === 'message_deleted') {
      if (!isSlackTs(event.deleted_ts) || !isSlackTs(event.ts)) return 0;
      const outcome = await store.markDeleted(channelId, event.deleted_ts, event.ts);
      if (outcome !== 'unknown-message') return outcome === 'deleted' ? 1 : 0;
      // Deleted before we ever saw it: keep it as a deleted row when the event says what it was.
      const previous = event.previous_message && usableMessage(event.previous_message, context);
      if (!previous || previous.ts !== event.deleted_ts) return 0;
      await this.storeMessage(store, previous, event.previous_message ?? {});
      await store.markDeleted(channelId, previous.ts, event.ts);
      return 1;
    }

    // An edit, or Slack's update of a thread parent, carries the message as it now is.
    const payload = event.subtype === 'message_changed' || event.subtype === 'message_replied' ? event.message : event;
    if (!payload) return 0;
    const record = usableMessage(payload, context);
    let changed = await this.storeMessage(store, record, payload);
    if (record.subtype === 'tombstone' && isSlackTs(event.ts)) {
      changed = (await store.markDeleted(channelId, record.ts, event.ts)) === 'deleted' || changed;
    }
    return changed ? 1 : 0;
  }

  /** Returns whether the message row was created or changed. */
  private async storeMessage(store: ActivityStore, record: MessageRecord, payload: SlackMessage): Promise<boolean> {
    // A Slack Connect author belongs to the team the message names, not to the channel's.
    if (record.userId) await store.ensureUser(record.userId, record.authorTeamId ?? record.teamId);
    const { inserted, changed } = await store.recordMessageEvent(record, 'events', {
      hasThreadInfo: payload.reply_count !== undefined,
      hasReactions: payload.reactions !== undefined,
    });
    if (inserted) await store.countNewReply(record);
    return changed;
  }
}

/** The record of a message an event carries; a message that cannot be stored makes the whole delivery unusable. */
function usableMessage(message: SlackMessage, context: { teamId: string; channelId: string; storeText: boolean }): MessageRecord {
  const read = readMessage(message, context);
  if (typeof read === 'string') throw new UnusableEvent(read);
  return read;
}

/** Why a failed delivery can never be stored, or undefined when a retry might store it (an outage, a bug). */
function skipReasonOf(error: unknown): EventSkipReason | undefined {
  if (error instanceof UnusableEvent) return error.reason;
  if (error instanceof InvalidRecordError) return 'invalid id';
  return refusedValueSqlState(error) ? 'refused by the database' : undefined;
}
