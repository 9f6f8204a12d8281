import { Type, UseGuards, UseInterceptors, Controller, applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CsvInterceptor } from './csv.interceptor';
import { ErrorResponse } from './error-response.dto';

export const API_V1_PREFIX = 'api/v1';

/**
 * A controller under /api/v1: bearer auth (read tokens for GET, admin for
 * POST), CSV on request, and the OpenAPI error responses of the
 * `{ statusCode, error, message }` body (ApiExceptionFilter renders it).
 */
export function ApiV1Controller(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    Controller(`${API_V1_PREFIX}/${path}`),
    UseGuards(BearerAuthGuard),
    UseInterceptors(CsvInterceptor),
    ApiTags(tag),
    ApiBearerAuth(),
    ApiExtraModels(ErrorResponse),
    ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid query, path or body (unknown fields included)' }),
    ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unknown bearer token' }),
    ApiForbiddenResponse({ type: ErrorResponse, description: 'The token may not do this (an admin token is needed)' }),
    ApiInternalServerErrorResponse({ type: ErrorResponse, description: 'Unexpected failure' }),
  );
}

/** 200 with a JSON body of `model`, or CSV of its rows when asked. */
export function ApiOkJsonOrCsv(model: Type<unknown>, description: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(model),
    ApiProduces('application/json', 'text/csv'),
    ApiOkResponse({
      description,
      content: {
        'application/json': { schema: { $ref: getSchemaPath(model) } },
        'text/csv': { schema: { type: 'string', description: 'RFC 4180 CSV with a header row' } },
      },
    }),
  );
}

export function ApiNotFound(what: string): MethodDecorator {
  return ApiNotFoundResponse({ type: ErrorResponse, description: `Unknown ${what}` });
}
