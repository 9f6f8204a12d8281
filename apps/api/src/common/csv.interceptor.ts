import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, map } from 'rxjs';
import { toCsv } from './csv';

const CSV_EXPORT = 'csv-export';

export interface CsvExport {
  /** Columns in order; the header row. */
  columns: readonly string[];
  /** Download name without extension. */
  filename: string;
  /** Where the rows are in the JSON body: its `data` array, or the body itself as one row. */
  rows: 'data' | 'body';
}

/** Marks a handler whose response may be served as CSV. */
export const CsvRows = (columns: readonly string[], filename: string, rows: CsvExport['rows'] = 'data') =>
  SetMetadata(CSV_EXPORT, { columns, filename, rows } satisfies CsvExport);

/** `?format=csv` wins; without `format`, an Accept header naming text/csv asks for CSV. */
export function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as Record<string, unknown> | undefined)?.format;
  if (format !== undefined) return format === 'csv';
  return /\btext\/csv\b/i.test(request.headers.accept ?? '');
}

/** Turns the JSON body of a CSV-capable handler into CSV when the client asks for it. */
@Injectable()
export class CsvInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<CsvExport | undefined>(CSV_EXPORT, context.getHandler());
    const http = context.switchToHttp();
    if (!spec || !wantsCsv(http.getRequest<FastifyRequest>())) return next.handle();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: Record<string, unknown>) => {
        const rows = spec.rows === 'data' ? (body.data as Array<Record<string, unknown>>) : [body];
        reply.header('content-type', 'text/csv; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="${spec.filename}.csv"`);
        if (typeof body.nextCursor === 'string') reply.header('x-next-cursor', body.nextCursor);
        return toCsv(spec.columns, rows);
      }),
    );
  }
}
