import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/**
 * Every body the API takes is a JSON object. Fastify also parses `null`, `7`, `[]` or a
 * text/plain string, and class validation lets them through as "no fields given": a POST of
 * `null` to /admin/aggregations would start a run. A missing body stays allowed.
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' || value === undefined) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new BadRequestException(`the request body must be a JSON object, not ${kindOf(value)}`);
    return value;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}
