import { AppConfig } from '@app/config';
import { DatabaseConnector } from '@app/db';
import { AggregationService, addDays, CatalogueQueries, dayInZone } from '@app/metrics';
import { importSlackExport } from '@app/ingestion';
import { Logger } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportOutcome } from '../aggregate/aggregate.command';
import { DEMO_TEAM_ID, writeDemoExport } from './demo-workspace';

const DEMO_DAYS = 90;
const DEMO_SEED = 20240601;

interface DemoCommandOptions {
  force?: boolean;
}

@Command({
  name: 'demo',
  description:
    `load a generated sample workspace (${DEMO_DAYS} days of channels, members, bots, threads and reactions, ending yesterday) ` +
    'through the export import, then aggregate it; does nothing when the database already holds messages',
})
export class DemoCommand extends CommandRunner {
  private readonly logger = new Logger('demo');

  constructor(
    private readonly connector: DatabaseConnector,
    private readonly config: AppConfig,
    private readonly aggregation: AggregationService,
    private readonly catalogue: CatalogueQueries,
  ) {
    super();
  }

  @Option({ flags: '--force', description: 'load the sample workspace even when messages are already stored' })
  parseForce(): boolean {
    return true;
  }

  async run(_parameters: string[], options: DemoCommandOptions): Promise<void> {
    const dataSource = await this.connector.connect();
    if ((await this.catalogue.holdsMessages()) && !options.force) {
      this.logger.log('the database already holds messages; the demo workspace is not loaded (--force loads it anyway)');
      return;
    }
    const directory = await mkdtemp(join(tmpdir(), 'slack-metrics-demo-'));
    try {
      const endDay = addDays(dayInZone(new Date(), 'UTC'), -1);
      const { messages } = await writeDemoExport(directory, { endDay, days: DEMO_DAYS, seed: DEMO_SEED });
      const summary = await importSlackExport(dataSource, directory, {
        storeText: this.config.privacy.storeMessageText,
        teamId: DEMO_TEAM_ID,
        maxFileBytes: this.config.import.maxFileMib * 1024 * 1024,
      });
      this.logger.log(
        `demo workspace ${summary.teamId}: ${summary.channels} channels, ${summary.users} users, ${messages} messages generated, ${summary.messagesStored} stored`,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    const outcome = await this.aggregation.run({ trigger: 'demo', waitForLock: true });
    reportOutcome(outcome, this.logger);
  }
}
