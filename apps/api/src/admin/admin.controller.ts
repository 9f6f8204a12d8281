import { aggregationRangeProblem, AggregationService, CatalogueQueries } from '@app/metrics';
import { BadRequestException, Body, ConflictException, Get, HttpCode, InternalServerErrorException, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiOperation } from '@nestjs/swagger';
import { ApiOkJsonOrCsv, ApiV1Controller } from '../common/api-docs';
import { CsvRows } from '../common/csv.interceptor';
import { ErrorResponse } from '../common/error-response.dto';
import { MAX_RANGE_DAYS } from '../common/query.dto';
import {
  AggregationRunDto,
  AggregationRunsResponse,
  RUN_CSV_COLUMNS,
  RunsQuery,
  StartAggregationBody,
  SYNC_CSV_COLUMNS,
  SyncStatusQuery,
  SyncStatusResponse,
} from './admin.dto';

const DEFAULT_RUNS_LISTED = 20;

@ApiV1Controller('admin', 'admin')
export class AdminController {
  constructor(
    private readonly aggregation: AggregationService,
    private readonly catalogue: CatalogueQueries,
  ) {}

  @Post('aggregations')
  @HttpCode(201)
  @ApiOperation({ summary: 'Run aggregation now (incremental, or the days from..to); admin token' })
  @ApiBody({ type: StartAggregationBody, required: false })
  @ApiCreatedResponse({ type: AggregationRunDto, description: 'The finished run' })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Another aggregation run is in progress' })
  async start(@Body() body: StartAggregationBody = {}): Promise<AggregationRunDto> {
    if (body.to && !body.from) throw new BadRequestException('to needs from');
    const to = body.to ?? body.from;
    const problem = body.from && to ? aggregationRangeProblem(body.from, to, MAX_RANGE_DAYS) : undefined;
    if (problem) throw new BadRequestException(problem);
    const outcome = await this.aggregation.run({ trigger: 'api', from: body.from, to });
    if (outcome.status === 'skipped') throw new ConflictException(outcome.reason);
    if (outcome.status === 'failed')
      throw new InternalServerErrorException(`aggregation run ${outcome.run.id} failed: ${outcome.run.error}`);
    return outcome.run;
  }

  @Get('aggregations')
  @ApiOperation({ summary: 'Recent aggregation runs: range, rows, duration, status' })
  @ApiOkJsonOrCsv(AggregationRunsResponse, 'Newest first')
  @CsvRows(RUN_CSV_COLUMNS, 'aggregation-runs')
  async runs(@Query() query: RunsQuery): Promise<AggregationRunsResponse> {
    return { data: await this.aggregation.recentRuns(query.limit ?? DEFAULT_RUNS_LISTED) };
  }

  @Get('sync-status')
  @ApiOperation({ summary: 'Per channel: newest message collected, last run, last error' })
  @ApiOkJsonOrCsv(SyncStatusResponse, 'Every channel the collector has visited')
  @CsvRows(SYNC_CSV_COLUMNS, 'sync-status')
  async syncStatus(@Query() query: SyncStatusQuery): Promise<SyncStatusResponse> {
    return { data: await this.catalogue.syncStatus(query.teamId) };
  }
}
