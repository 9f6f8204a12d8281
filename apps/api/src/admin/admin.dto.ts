import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min, ValidateIf } from 'class-validator';
import { SLACK_ID_PATTERN } from '@app/slack';
import { FormatQuery, IsIsoDay } from '../common/query.dto';

export const MAX_RUNS_LISTED = 200;

/** A JSON body can say `null`, which is not a day: only a missing field is left out (IsOptional would pass both). */
const unlessMissing = ValidateIf((_body, value) => value !== undefined);

export class StartAggregationBody {
  @ApiPropertyOptional({ format: 'date', description: 'First day to recompute; with `to`. Without both, an incremental run' })
  @unlessMissing
  @IsIsoDay()
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Last day to recompute (default: `from`)' })
  @unlessMissing
  @IsIsoDay()
  to?: string;
}

export class RunsQuery extends FormatQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_RUNS_LISTED, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RUNS_LISTED)
  limit?: number;
}

export class SyncStatusQuery extends FormatQuery {
  @ApiPropertyOptional({ description: 'Only channels of this workspace', pattern: SLACK_ID_PATTERN.source })
  @IsOptional()
  @Matches(SLACK_ID_PATTERN, { message: 'teamId must be a Slack team id (letters, digits, _ or -, at most 64)' })
  teamId?: string;
}

export const RUN_CSV_COLUMNS = [
  'id',
  'startedAt',
  'finishedAt',
  'mode',
  'trigger',
  'fromDay',
  'toDay',
  'days',
  'rows',
  'durationMs',
  'status',
  'error',
] as const;

export class AggregationRunDto {
  @ApiProperty()
  id: number;

  @ApiProperty({ format: 'date-time' })
  startedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: string | null;

  @ApiProperty({ enum: ['full', 'incremental', 'range'] })
  mode: string;

  @ApiProperty({ description: 'Who started it: cli, schedule, api, demo' })
  trigger: string;

  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'First day recomputed' })
  fromDay: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'Last day recomputed' })
  toDay: string | null;

  @ApiProperty({ description: 'Days recomputed' })
  days: number;

  @ApiProperty({ description: 'Rollup rows written' })
  rows: number;

  @ApiProperty({ type: Number, nullable: true })
  durationMs: number | null;

  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] })
  status: string;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;
}

export class AggregationRunsResponse {
  @ApiProperty({ type: [AggregationRunDto], description: 'Newest first' })
  data: AggregationRunDto[];
}

export const SYNC_CSV_COLUMNS = [
  'channelId',
  'teamId',
  'name',
  'newestTs',
  'newestMessageAt',
  'lastRunAt',
  'lastSuccessAt',
  'lastError',
  'lastErrorAt',
] as const;

export class SyncStatusRow {
  @ApiProperty()
  channelId: string;

  @ApiProperty({ type: String, nullable: true })
  teamId: string | null;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Slack ts of the newest message collected' })
  newestTs: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  newestMessageAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastRunAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSuccessAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastError: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastErrorAt: string | null;
}

export class SyncStatusResponse {
  @ApiProperty({ type: [SyncStatusRow] })
  data: SyncStatusRow[];
}
