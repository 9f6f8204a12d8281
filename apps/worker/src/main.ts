import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@app/config';
import { CommandFactory } from 'nest-commander';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  await CommandFactory.run(WorkerModule.forRoot(config), {
    cliName: 'worker',
    logger: ['fatal', 'error', 'warn', 'log'],
    errorHandler: (error) => {
      // Commander reports --help and --version as "errors" with exit code 0.
      const exitCode = (error as { exitCode?: number }).exitCode ?? 1;
      process.exit(exitCode);
    },
    serviceErrorHandler: (error) => {
      process.stderr.write(`worker failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigValidationError ? `${error.message}\n` : `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
