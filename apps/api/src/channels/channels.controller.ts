import { Get, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CatalogueQueries } from '@app/metrics';
import { ApiOkJsonOrCsv, ApiV1Controller } from '../common/api-docs';
import { CsvRows } from '../common/csv.interceptor';
import { SLACK_ID_PATTERN } from '@app/slack';
import { DEFAULT_LIMIT, FormatQuery, MAX_LIMIT, PRINTABLE_TEXT, parseBooleanQuery } from '../common/query.dto';
import { decodeCursor, encodeCursor } from './channel-cursor';

export class ChannelsQuery extends FormatQuery {
  @ApiPropertyOptional({ description: 'Only channels of this workspace', pattern: SLACK_ID_PATTERN.source })
  @IsOptional()
  @Matches(SLACK_ID_PATTERN, { message: 'teamId must be a Slack team id (letters, digits, _ or -, at most 64)' })
  teamId?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the channel name', maxLength: 100, pattern: PRINTABLE_TEXT.source })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  // PostgreSQL text cannot hold NUL, and no channel name has control characters.
  @Matches(PRINTABLE_TEXT, { message: 'q must not contain control characters' })
  q?: string;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Include archived channels' })
  @IsOptional()
  @Transform(parseBooleanQuery)
  @IsBoolean({ message: 'includeArchived must be true or false' })
  includeArchived?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}

export class ChannelDto {
  @ApiProperty({ example: 'C0123ABCD' })
  id: string;

  @ApiProperty()
  teamId: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ enum: ['public', 'private', 'im', 'mpim'] })
  kind: string;

  @ApiProperty()
  isPrivate: boolean;

  @ApiProperty()
  isArchived: boolean;

  @ApiProperty({ type: Number, nullable: true })
  memberCount: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Newest message as of the last aggregation' })
  lastActivityAt: string | null;
}

export class ChannelsResponse {
  @ApiProperty({ type: [ChannelDto], description: 'Ordered by name, then id' })
  data: ChannelDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page (CSV: X-Next-Cursor header)',
  })
  nextCursor: string | null;
}

const CHANNEL_COLUMNS = ['id', 'teamId', 'name', 'kind', 'isPrivate', 'isArchived', 'memberCount', 'lastActivityAt'] as const;

@ApiV1Controller('channels', 'channels')
export class ChannelsController {
  constructor(private readonly catalogue: CatalogueQueries) {}

  @Get()
  @ApiOperation({ summary: 'Channels with member count and last activity, a page at a time' })
  @ApiOkJsonOrCsv(ChannelsResponse, 'A page of channels')
  @CsvRows(CHANNEL_COLUMNS, 'channels')
  async list(@Query() query: ChannelsQuery): Promise<ChannelsResponse> {
    const { channels, next } = await this.catalogue.channels({
      teamId: query.teamId,
      nameContains: query.q,
      includeArchived: query.includeArchived ?? false,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: query.limit ?? DEFAULT_LIMIT,
    });
    return { data: channels, nextCursor: next ? encodeCursor(next) : null };
  }
}
