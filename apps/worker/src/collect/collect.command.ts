import { slackErrorCode } from '@app/slack';
import { Logger } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { SlackCollector } from '@app/ingestion';
import { CommandError } from '../command-errors';

@Command({
  name: 'collect',
  description:
    "poll the Slack Web API (SLACK_BOT_TOKEN, SLACK_API_URL): workspace, channels, users, and each joined channel's " +
    'history and threads since the last run; exits 1 if any channel failed (recorded in its sync state); ' +
    'once per cluster: exits 0 at once if another collect run is in progress',
})
export class CollectCommand extends CommandRunner {
  private readonly logger = new Logger('collect');

  constructor(private readonly collector: SlackCollector) {
    super();
  }

  async run(): Promise<void> {
    let summary;
    try {
      summary = await this.collector.collectExclusively();
    } catch (error) {
      const code = slackErrorCode(error);
      throw new CommandError(
        code ? `Slack refused the request: ${code}` : `collect failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!summary) {
      this.logger.log('another collect run is in progress; nothing to do');
      return;
    }
    const failed = summary.failures.map((failure) => `${failure.channelId} (${failure.name ?? 'unnamed'}): ${failure.error}`);
    this.logger.log(
      `workspace ${summary.teamId}: ${summary.channels} channels (${summary.channelsNotJoined} not joined), ${summary.users} users, ` +
        `${summary.messagesStored} messages stored or changed, ${summary.failures.length} channels failed`,
    );
    if (failed.length > 0) throw new CommandError(`channels that failed:\n  ${failed.join('\n  ')}`);
  }
}
