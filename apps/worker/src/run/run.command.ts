import { DatabaseConnector } from '@app/db';
import { Logger } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { JobScheduler } from './job-scheduler';

@Command({
  name: 'run',
  description:
    'long-running scheduler for one machine: collect on COLLECT_CRON (when SLACK_BOT_TOKEN is set) and aggregate on ' +
    'AGGREGATE_CRON, aggregating once at start; each job is advisory-locked, so extra replicas never double-run; stops on SIGTERM/SIGINT',
})
export class RunCommand extends CommandRunner {
  private readonly logger = new Logger('run');

  constructor(
    private readonly connector: DatabaseConnector,
    private readonly scheduler: JobScheduler,
  ) {
    super();
  }

  async run(): Promise<void> {
    await this.connector.connect();
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    this.scheduler.start();
    // Numbers right away rather than at the first tick.
    void this.scheduler.trigger('aggregate');
    const signal = await stopped;
    this.logger.log(`${signal} received: finishing runs in progress`);
    await this.scheduler.stop();
    this.logger.log('stopped');
  }
}
