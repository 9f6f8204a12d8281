import { INestApplication, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShutdownState } from './shutdown-state';

/**
 * On SIGTERM/SIGINT: readiness turns 503 at once, requests keep being served
 * for the drain delay (long enough for every load balancer to notice), then
 * the server stops accepting, finishes what is in flight and the process exits.
 */
export function installGracefulShutdown(app: INestApplication, drainSeconds: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.get(ShutdownState).beginDraining();
    logger.log(`${signal} received: not ready, draining for ${drainSeconds}s`);
    await sleep(drainSeconds * 1000);
    try {
      await app.close();
      logger.log('stopped');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${String(error)}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}
