import { AppConfig } from '@app/config';
import { COLLECT_LOCK_KEY, DatabaseConnector, withTryAdvisoryLock } from '@app/db';
import { Telemetry } from '@app/observability';
import { isSlackId, nextCursor, SlackApi, slackErrorCode, SlackChannel, SlackMessage, SlackTeam, SlackUser } from '@app/slack';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ChannelRecord,
  channelRecord,
  compareTs,
  MessageRecord,
  messageRecord,
  newestTs,
  threadParentTs,
  userRecord,
  workspaceRecord,
} from '../records';
import { ActivityStore } from '../store/activity-store';
import { MessageBatch } from '../store/message-batch';

/** Slack's recommended page size for the methods used here. */
const PAGE_LIMIT = 200;

export interface ChannelFailure {
  channelId: string;
  name: string | null;
  error: string;
}

export interface CollectSummary {
  teamId: string;
  channels: number;
  /** Channels the bot is not a member of: Slack refuses their history, so they are not asked for. */
  channelsNotJoined: number;
  users: number;
  messagesStored: number;
  failures: ChannelFailure[];
}

/**
 * Polls the Slack Web API into the raw tables. Each channel's history is read
 * newest-first from its stored high-water mark; every page is committed with
 * the cursor of the next one, so a run that dies half-way resumes where it
 * stopped, and the mark moves only once a walk has reached its end.
 */
@Injectable()
export class SlackCollector {
  private readonly logger = new Logger('collect');

  constructor(
    private readonly connector: DatabaseConnector,
    private readonly config: AppConfig,
    private readonly telemetry: Telemetry,
  ) {}

  /**
   * `collect()` unless another process is collecting right now (a CronJob
   * overlapping `worker run`, a manual run): then undefined, and nothing done.
   */
  async collectExclusively(): Promise<CollectSummary | undefined> {
    const outcome = await withTryAdvisoryLock(await this.connector.connect(), COLLECT_LOCK_KEY, () => this.collect());
    return outcome.acquired ? outcome.value : undefined;
  }

  async collect(): Promise<CollectSummary> {
    const token = this.config.slack.botToken;
    if (!token) throw new Error('SLACK_BOT_TOKEN is not set: the collector needs a bot token');
    const dataSource = await this.connector.connect();
    const api = new SlackApi(token, this.config.slack.apiUrl, this.telemetry);

    const team = (await api.call('team.info', {})).team as SlackTeam | undefined;
    if (!isSlackId(team?.id)) throw new Error("team.info answered without a team id of a Slack id's shape");
    const teamId = team.id;
    await ActivityStore.transaction(dataSource, (store) => store.upsertWorkspace(workspaceRecord({ ...team, id: teamId })));

    const channels = await this.collectChannels(api, dataSource, teamId);
    const users = await this.collectUsers(api, dataSource, teamId);

    const summary: CollectSummary = { teamId, channels: channels.length, channelsNotJoined: 0, users, messagesStored: 0, failures: [] };
    for (const { channel, isMember } of channels) {
      if (!isMember) {
        summary.channelsNotJoined++;
        continue;
      }
      try {
        summary.messagesStored += await this.collectChannel(api, dataSource, teamId, channel);
      } catch (error) {
        const code = slackErrorCode(error);
        // Anything but Slack refusing this one channel (the database, the network) stops the run.
        if (code === undefined) throw error;
        summary.failures.push({ channelId: channel.id, name: channel.name, error: code });
        await ActivityStore.transaction(dataSource, (store) => store.recordSyncError(channel.id, code));
        this.logger.warn(`channel ${channel.id} (${channel.name ?? 'unnamed'}) failed: ${code}`);
      }
    }
    return summary;
  }

  private async collectChannels(
    api: SlackApi,
    dataSource: DataSource,
    teamId: string,
  ): Promise<{ channel: ChannelRecord; isMember: boolean }[]> {
    const seen: { channel: ChannelRecord; isMember: boolean }[] = [];
    const args = { types: 'public_channel,private_channel', exclude_archived: false, limit: PAGE_LIMIT };
    for await (const page of api.pages('conversations.list', args)) {
      const listed = withSlackIds((page.channels as SlackChannel[] | undefined) ?? [], 'channels', this.logger);
      const records = listed.map((channel) => channelRecord(channel, teamId));
      await ActivityStore.transaction(dataSource, (store) => store.upsertChannels(records));
      records.forEach((channel, index) => seen.push({ channel, isMember: listed[index].is_member !== false }));
    }
    return seen;
  }

  private async collectUsers(api: SlackApi, dataSource: DataSource, teamId: string): Promise<number> {
    let count = 0;
    for await (const page of api.pages('users.list', { limit: PAGE_LIMIT })) {
      const users = withSlackIds((page.members as SlackUser[] | undefined) ?? [], 'users', this.logger).map((user) =>
        userRecord(user, teamId),
      );
      await ActivityStore.transaction(dataSource, (store) => store.upsertUsers(users));
      count += users.length;
    }
    return count;
  }

  /** Walks one channel's new history; returns the number of messages stored or changed. */
  private async collectChannel(api: SlackApi, dataSource: DataSource, teamId: string, channel: ChannelRecord): Promise<number> {
    const state = await ActivityStore.transaction(dataSource, (store) => store.syncState(channel.id));
    const oldest = state?.newestTs ?? undefined;
    let cursor = state?.pendingCursor ?? undefined;
    // The newest message of this walk, seen on its first page; it becomes the mark when the walk completes.
    let walkNewest = cursor ? (state?.pendingNewestTs ?? null) : null;
    let stored = 0;
    const history = { channel: channel.id, limit: PAGE_LIMIT, ...(oldest ? { oldest, inclusive: false } : {}) };

    for (;;) {
      let page;
      try {
        page = await api.call('conversations.history', cursor ? { ...history, cursor } : history);
      } catch (error) {
        // A resume cursor Slack no longer accepts: start the walk again; stored pages are simply rewritten.
        if (cursor && slackErrorCode(error) === 'invalid_cursor') {
          cursor = undefined;
          walkNewest = null;
          continue;
        }
        throw error;
      }
      const messages = (page.messages as SlackMessage[] | undefined) ?? [];
      const context = { teamId, channelId: channel.id, storeText: this.config.privacy.storeMessageText };
      const records = messages.map((message) => messageRecord(message, context)).filter((record) => record !== undefined);
      if (!cursor) walkNewest = newestTs(records.map((record) => record.ts));
      const replies = await this.newReplies(api, dataSource, channel.id, records, context);
      const next = nextCursor(page);
      stored += await ActivityStore.transaction(dataSource, async (store) => {
        const count = await store.upsertMessages(MessageBatch.of(uniqueByTs([...records, ...replies]), 'collect'));
        await store.saveSyncProgress(channel.id, { nextCursor: next ?? null, walkNewestTs: walkNewest });
        return count;
      });
      if (!next) break;
      cursor = next;
    }
    this.telemetry.recordMessagesStored('collect', stored);
    return stored;
  }

  /**
   * Replies of the threads a history page shows to have grown: a parent whose
   * latest_reply is newer than the one stored, or a reply broadcast to the
   * channel newer than its stored parent's latest reply. Each thread is read
   * from the newest reply already stored onwards; Slack puts the parent, as it
   * is now (reply count, latest reply), on top of every answer.
   */
  private async newReplies(
    api: SlackApi,
    dataSource: DataSource,
    channelId: string,
    records: MessageRecord[],
    context: { teamId: string; channelId: string; storeText: boolean },
  ): Promise<MessageRecord[]> {
    // Thread ts → the newest reply the page shows for it.
    const grown = new Map<string, string>();
    for (const record of records) {
      if (record.threadTs === null) continue;
      const newest = threadParentTs(record) !== null ? record.ts : record.replyCount > 0 ? record.latestReplyTs : null;
      const known = grown.get(record.threadTs);
      if (newest !== null && (known === undefined || compareTs(newest, known) > 0)) grown.set(record.threadTs, newest);
    }
    if (grown.size === 0) return [];
    const storedLatest = await ActivityStore.transaction(dataSource, (store) => store.storedLatestReplies(channelId, [...grown.keys()]));
    const replies: MessageRecord[] = [];
    for (const [threadTs, newest] of grown) {
      const known = storedLatest.get(threadTs) ?? null;
      if (known !== null && compareTs(newest, known) <= 0) continue;
      const args = { channel: channelId, ts: threadTs, limit: PAGE_LIMIT, ...(known ? { oldest: known, inclusive: false } : {}) };
      for await (const page of api.pages('conversations.replies', args)) {
        for (const message of (page.messages as SlackMessage[] | undefined) ?? []) {
          const reply = messageRecord(message, context);
          if (reply) replies.push(reply);
        }
      }
    }
    return replies;
  }
}

/** The entries whose id is a Slack id; the others are left out, with a warning saying how many. */
function withSlackIds<T extends { id?: unknown }>(entries: T[], what: string, logger: Logger): Array<T & { id: string }> {
  const usable = entries.filter((entry): entry is T & { id: string } => isSlackId(entry?.id));
  if (usable.length < entries.length)
    logger.warn(`${what} left out, their id not of a Slack id's shape: ${entries.length - usable.length}`);
  return usable;
}

/** A message can be on a history page and in a thread (a parent, a broadcast reply); the later copy is written. */
function uniqueByTs(records: MessageRecord[]): MessageRecord[] {
  return [...new Map(records.map((record) => [record.ts, record])).values()];
}
