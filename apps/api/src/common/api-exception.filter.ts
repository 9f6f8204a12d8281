import { isDatabaseUnavailable } from '@app/db';
import { ArgumentsHost, Catch, HttpException, HttpStatus, IntrinsicException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ErrorResponse } from './error-response.dto';

export const DATABASE_RETRY_AFTER_SECONDS = 5;
export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is unavailable; retry shortly';

interface Rendered {
  statusCode: number;
  body: object;
}

/**
 * Every error the API answers, whichever route or framework layer it comes
 * from, rendered by one mapping (see render): the API's
 * `{ statusCode, error, message }` with `message` a single string, an
 * unreachable database a 503 with Retry-After (the client may retry), and no
 * internal detail in a 500. It extends Nest's filter only for its test of
 * what is an HTTP error of Fastify or http-errors.
 */
@Catch()
export class ApiExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Http');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { statusCode, body } = this.render(exception, http.getRequest<FastifyRequest>().id);
    // Failed after its answer started: nothing can be said any more.
    if (reply.sent) {
      reply.raw.end();
      return;
    }
    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE && isDatabaseUnavailable(exception))
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    reply.status(statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private render(exception: unknown, requestId: string): Rendered {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      // A body of its own shape (the health checks' reports) is the answer as it is.
      if (typeof response === 'object' && !('message' in response)) return { statusCode, body: response };
      const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return errorBody(statusCode, Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message);
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ req: { id: requestId } }, `database unavailable: ${(exception as Error).message}`);
      return errorBody(HttpStatus.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE);
    }
    // What Fastify refuses before any route runs: a body that is not JSON, one too large.
    if (this.isHttpError(exception) && exception.statusCode < 500)
      return errorBody(exception.statusCode, this.getHttpErrorMessage(exception));
    const statusCode = this.isHttpError(exception) ? exception.statusCode : HttpStatus.INTERNAL_SERVER_ERROR;
    if (!(exception instanceof IntrinsicException)) this.logger.error({ req: { id: requestId }, err: exception }, 'unexpected error');
    return errorBody(statusCode, 'internal error');
  }
}

function errorBody(statusCode: number, message: string): Rendered {
  const body: ErrorResponse = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  return { statusCode, body };
}
