import { AppConfig } from '@app/config';
import { DatabaseConnector } from '@app/db';
import { SlackCollector } from '@app/ingestion';
import { AggregationService } from '@app/metrics';
import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { reportOutcome } from '../aggregate/aggregate.command';
import { CommandError } from '../command-errors';

type JobName = 'collect' | 'aggregate';

/**
 * Runs `collect` and `aggregate` on their cron schedules inside one process.
 * A tick that finds the previous run of the same job still going is skipped;
 * across processes and replicas each job holds its advisory lock, so running
 * this on several machines never runs a job twice at once. A failed run is
 * logged and the schedule goes on.
 */
@Injectable()
export class JobScheduler {
  private readonly logger = new Logger('scheduler');
  private readonly inFlight = new Map<JobName, Promise<void>>();

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly config: AppConfig,
    private readonly connector: DatabaseConnector,
    private readonly aggregation: AggregationService,
    private readonly collector: SlackCollector,
  ) {}

  start(): void {
    this.schedule('aggregate', this.config.schedule.aggregateCron);
    if (this.config.slack.botToken) {
      this.schedule('collect', this.config.schedule.collectCron);
    } else {
      this.logger.log('SLACK_BOT_TOKEN is not set: collect is not scheduled');
    }
  }

  /** Starts a job now unless it is already running; resolves when that run ends. */
  trigger(name: JobName): Promise<void> {
    const running = this.inFlight.get(name);
    if (running) {
      this.logger.warn(`${name}: the previous run is still going; this tick is skipped`);
      return running;
    }
    const work = name === 'aggregate' ? this.aggregate() : this.collect();
    const run = work
      .catch((error: unknown) =>
        this.logger.error(
          error instanceof CommandError
            ? error.message
            : `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        ),
      )
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, run);
    return run;
  }

  /** Stops the schedules and waits for runs in progress. */
  async stop(): Promise<void> {
    for (const name of this.registry.getCronJobs().keys()) {
      await this.registry.getCronJob(name).stop();
      this.registry.deleteCronJob(name);
    }
    await Promise.all(this.inFlight.values());
  }

  private schedule(name: JobName, cronTime: string): void {
    const job = CronJob.from({ cronTime, onTick: () => void this.trigger(name), start: true });
    this.registry.addCronJob(name, job);
    this.logger.log(`${name} scheduled: ${cronTime}`);
  }

  private async aggregate(): Promise<void> {
    // A failed run is recorded and logged; the next tick tries again.
    reportOutcome(await this.aggregation.run({ trigger: 'schedule' }), this.logger);
  }

  private async collect(): Promise<void> {
    const summary = await this.collector.collectExclusively();
    if (!summary) this.logger.log('another collect run is in progress; nothing to do');
    else this.logger.log(`collect: ${summary.messagesStored} messages stored or changed, ${summary.failures.length} channels failed`);
  }
}
