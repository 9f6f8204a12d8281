import { isDatabaseUnavailable } from '@app/db';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ErrorResponse } from './error-response.dto';

export const DATABASE_RETRY_AFTER_SECONDS = 5;
export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is unavailable; retry shortly';

/**
 * Renders every error of the /api/v1 controllers as `{ statusCode, error,
 * message }` with `message` a single string (ValidationPipe gives an array).
 * An unreachable database is a 503 with Retry-After (the client may retry);
 * other unexpected errors become a 500 whose body reveals nothing internal.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, http.getRequest<FastifyRequest>().id);
    if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorResponse {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message;
      return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ req: { id: requestId } }, `database unavailable: ${(exception as Error).message}`);
      return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message: DATABASE_UNAVAILABLE_MESSAGE };
    }
    this.logger.error({ req: { id: requestId }, err: exception }, 'unexpected error');
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, error: 'Internal Server Error', message: 'internal error' };
  }
}
