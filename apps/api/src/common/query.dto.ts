import { FIRST_DAY, LAST_DAY } from '@app/db';
import { isIsoDay } from '@app/metrics';
import { SLACK_ID_PATTERN } from '@app/slack';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateBy, ValidationOptions } from 'class-validator';

/** Longest from..to range any endpoint accepts, in days (a leap year). */
export const MAX_RANGE_DAYS = 366;
export const DEFAULT_RANGE_DAYS = 30;
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

/** Free text without control characters (NUL above all, which PostgreSQL text cannot hold). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const PRINTABLE_TEXT = /^[^\u0000-\u001f\u007f]*$/;

export function IsIsoDay(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsoDay',
      validator: {
        validate: (value) => isIsoDay(value),
        defaultMessage: (args) => `${args?.property} must be a calendar date written YYYY-MM-DD from ${FIRST_DAY} to ${LAST_DAY}`,
      },
    },
    options,
  );
}

/** `'true'`/`'false'` from a query string; anything else is left for IsIn to refuse. */
export const parseBooleanQuery = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class FormatQuery {
  @ApiPropertyOptional({
    enum: ['json', 'csv'],
    description: 'Response format; `csv` (or `Accept: text/csv`) gives RFC 4180 CSV with a header row',
  })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export class RangeQuery extends FormatQuery {
  @ApiPropertyOptional({
    description: 'First day, inclusive (calendar day in METRICS_TIMEZONE). Default: 29 days before `to`',
    example: '2025-01-01',
    format: 'date',
  })
  @IsOptional()
  @IsIsoDay()
  from?: string;

  @ApiPropertyOptional({
    description: `Last day, inclusive. Default: today in METRICS_TIMEZONE. At most ${MAX_RANGE_DAYS} days after \`from\``,
    example: '2025-01-31',
    format: 'date',
  })
  @IsOptional()
  @IsIsoDay()
  to?: string;
}

export class TeamRangeQuery extends RangeQuery {
  @ApiPropertyOptional({
    description: 'Workspace (Slack team id); may be left out while only one workspace is stored',
    example: 'T0123ABCD',
    pattern: SLACK_ID_PATTERN.source,
  })
  @IsOptional()
  @Matches(SLACK_ID_PATTERN, { message: 'teamId must be a Slack team id (letters, digits, _ or -, at most 64)' })
  teamId?: string;
}

export class TeamRangeLimitQuery extends TeamRangeQuery {
  @ApiPropertyOptional({ type: 'integer', description: 'Rows to return', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;
}
