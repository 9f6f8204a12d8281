import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@app/config';
import { DatabaseConnector } from '@app/db';
import { Logger } from '@nestjs/common';
import { createApiApplication } from './bootstrap';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApplication(config);
  await app.get(DatabaseConnector).connect();
  installGracefulShutdown(app, config.http.drainSeconds);
  await app.listen({ port: config.http.port, host: config.http.host });
  new Logger('Api').log(`listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`api failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
