import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@app/config';
import { AppLogger, Telemetry, createRootLogger } from '@app/observability';
import { CommandFactory } from 'nest-commander';
import { CommandError } from './command-errors';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger(config, 'slack-metrics-worker');
  const app = await CommandFactory.createWithoutRunning(WorkerModule.forRoot(config, logger), {
    bufferLogs: true,
    cliName: 'worker',
    // Commander names the program after the script file (main.js); usage lines should say `worker`.
    helpConfiguration: {
      commandUsage: (command) => {
        const names: string[] = [];
        for (let current: typeof command | null = command; current; current = current.parent)
          names.unshift(current.parent ? current.name() : 'worker');
        return `${names.join(' ')} ${command.usage()}`;
      },
    },
    errorHandler: (error) => {
      // Commander reports --help and --version as "errors" with exit code 0.
      process.exit((error as { exitCode?: number }).exitCode ?? 1);
    },
    // Every error a command throws ends here: one it explains (CommandError) is its message alone.
    serviceErrorHandler: (error) => {
      if (error instanceof CommandError) logger.error(error.message);
      else logger.error({ err: error }, 'command failed');
      process.exitCode = 1;
    },
  });
  app.useLogger(app.get(AppLogger));
  await CommandFactory.runApplication(app);
  const counters = await app.get(Telemetry).countersSummary();
  if (Object.keys(counters).length > 0) logger.info({ counters }, 'command totals');
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigValidationError
      ? `${error.message}\n`
      : `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
