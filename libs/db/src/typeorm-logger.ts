import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerInterface } from 'typeorm';

/** Long statements are cut in logs; the start names the table and the shape. */
const MAX_LOGGED_QUERY_LENGTH = 500;

function compact(query: string): string {
  const oneLine = query.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_LOGGED_QUERY_LENGTH ? `${oneLine.slice(0, MAX_LOGGED_QUERY_LENGTH)}…` : oneLine;
}

/**
 * TypeORM's messages through the process's logger, so they are JSON lines
 * like everything else. Query parameters are never logged: they can carry
 * message text and user data.
 */
export class TypeOrmLogger implements TypeOrmLoggerInterface {
  private readonly logger = new Logger('TypeORM');

  logQuery(): void {
    // Every query would drown the log; failures and slow ones are logged below.
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.error(`query failed: ${typeof error === 'string' ? error : error.message} — ${compact(query)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${compact(query)}`);
  }

  // Schema and migration narration: `worker migrate` reports what it applied itself.
  logSchemaBuild(): void {}

  logMigration(): void {}

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
