import { DatabaseConnector, revertLastMigration, runPendingMigrations } from '@app/db';
import { Logger } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';

interface MigrateOptions {
  revert?: boolean;
}

@Command({
  name: 'migrate',
  description: 'apply pending schema migrations; safe to start on several pods at once (advisory lock)',
})
export class MigrateCommand extends CommandRunner {
  private readonly logger = new Logger('migrate');

  constructor(private readonly connector: DatabaseConnector) {
    super();
  }

  @Option({ flags: '--revert', description: 'revert the most recently applied migration instead' })
  parseRevert(): boolean {
    return true;
  }

  async run(_parameters: string[], options: MigrateOptions): Promise<void> {
    const dataSource = await this.connector.connect();
    if (options.revert) {
      const reverted = await revertLastMigration(dataSource);
      this.logger.log(reverted ? `reverted ${reverted}` : 'no migration to revert');
      return;
    }
    const applied = await runPendingMigrations(dataSource);
    this.logger.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'schema is up to date');
  }
}
