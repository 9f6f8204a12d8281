import { isDatabaseUnavailable } from '@app/db';
import { ArgumentsHost, Catch, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from './api-exception.filter';

/**
 * For routes outside /api/v1 (the Slack events receiver): an unreachable
 * database is a 503 with Retry-After rather than a 500; everything else gets
 * Nest's default handling.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Database');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (!isDatabaseUnavailable(exception)) return super.catch(exception, host);
    this.logger.warn(`database unavailable: ${(exception as Error).message}`);
    host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(HttpStatus.SERVICE_UNAVAILABLE)
      .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
      .send({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message: DATABASE_UNAVAILABLE_MESSAGE });
  }
}
