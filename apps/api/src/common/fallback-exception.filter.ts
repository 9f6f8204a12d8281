import { isDatabaseUnavailable } from '@app/db';
import { ArgumentsHost, Catch, HttpException, HttpServer, HttpStatus, IntrinsicException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ApiExceptionFilter } from './api-exception.filter';

/**
 * Errors outside the /api/v1 controllers (which have their own filter): the
 * Slack events receiver, and what Fastify refuses before any route runs (a
 * body that is not JSON, one too large). Those get the API's
 * `{ statusCode, error, message }` shape, an unreachable database a 503 with
 * Retry-After; Nest renders its own exceptions (health responses keep their format).
 */
@Catch()
export class FallbackExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Http');

  /** The /api/v1 controllers' rendering, for what has no format of its own here. */
  private readonly apiErrors = new ApiExceptionFilter();

  override catch(exception: unknown, host: ArgumentsHost): void {
    // An unreachable database, and Fastify's own refusals, which arrive as an HttpException
    // with a bare message that Nest would render without `error`.
    if (isDatabaseUnavailable(exception) || (exception instanceof HttpException && typeof exception.getResponse() === 'string')) {
      this.apiErrors.catch(exception, host);
      return;
    }
    super.catch(exception, host);
  }

  /**
   * What is not an HttpException (a failed insert while storing a Slack event,
   * say): Nest's status, the API's body shape, and a log line that names the
   * request, so the 500 Slack retries can be found from its access line.
   */
  override handleUnknownError(exception: unknown, host: ArgumentsHost, applicationRef: HttpServer): void {
    const http = host.switchToHttp();
    const statusCode = this.isHttpError(exception) ? exception.statusCode : HttpStatus.INTERNAL_SERVER_ERROR;
    if (statusCode >= 500 && !(exception instanceof IntrinsicException)) {
      this.logger.error({ req: { id: http.getRequest<FastifyRequest>().id }, err: exception }, 'unexpected error');
    }
    const reply = http.getResponse<FastifyReply>();
    if (applicationRef.isHeadersSent(reply)) {
      applicationRef.end(reply);
      return;
    }
    const message = statusCode >= 500 ? 'internal error' : this.getHttpErrorMessage(exception as { statusCode: number; message: string });
    reply.status(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message });
  }
}
