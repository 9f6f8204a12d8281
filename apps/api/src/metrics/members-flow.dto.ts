import { COHORT_FOLLOWED_PERIODS, COHORT_GRANULARITIES, GRANULARITIES } from '@app/metrics';
// Type-only: decorator metadata must not reference them at run time.
import type { CohortGranularity, Granularity } from '@app/metrics';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { TeamRangeQuery } from '../common/query.dto';

export class RetentionQuery extends TeamRangeQuery {
  @ApiPropertyOptional({
    enum: COHORT_GRANULARITIES,
    default: 'week',
    description: 'Period of the cohorts and of the periods followed; weeks are ISO weeks starting on Monday',
  })
  @IsOptional()
  @IsIn(COHORT_GRANULARITIES)
  granularity?: CohortGranularity;
}

export class MembersFlowQuery extends TeamRangeQuery {
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'week', description: 'Period of each row; weeks are ISO weeks starting on Monday' })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity?: Granularity;
}

export const RETENTION_CSV_COLUMNS = ['cohort', 'cohortSize', 'period', 'date', 'active', 'share'] as const;

export class RetentionCellDto {
  @ApiProperty({ format: 'date', description: "First day of the cohort's period: the members whose first activity ever was in it" })
  cohort: string;

  @ApiProperty({ description: 'Members in the cohort' })
  cohortSize: number;

  @ApiProperty({ minimum: 0, maximum: COHORT_FOLLOWED_PERIODS, description: "Periods after the cohort's own (0 = the cohort period)" })
  period: number;

  @ApiProperty({ format: 'date', description: 'First day of that period' })
  date: string;

  @ApiProperty({ description: 'Cohort members active in that period' })
  active: number;

  @ApiProperty({ minimum: 0, maximum: 1, description: 'active / cohortSize' })
  share: number;
}

export class RetentionResponse {
  @ApiProperty({ example: 'T0123ABCD' })
  teamId: string;

  @ApiProperty({ format: 'date', example: '2025-01-01' })
  from: string;

  @ApiProperty({ format: 'date', example: '2025-03-31' })
  to: string;

  @ApiProperty({ enum: COHORT_GRANULARITIES })
  granularity: string;

  @ApiProperty({
    type: [RetentionCellDto],
    description: `One row per cohort with members and period 0..${COHORT_FOLLOWED_PERIODS}, by cohort then period; periods that start after the workspace's latest active day are left out`,
  })
  data: RetentionCellDto[];
}

export const MEMBERS_FLOW_CSV_COLUMNS = ['date', 'new', 'returning', 'churned', 'active'] as const;

export class MembersFlowRow {
  @ApiProperty({ format: 'date', description: 'First day of the period; the whole period counts, also where from..to covers part of it' })
  date: string;

  @ApiProperty({ description: 'Members active for the first time ever in the period' })
  new: number;

  @ApiProperty({ description: 'Members active in the period who were active in some earlier period' })
  returning: number;

  @ApiProperty({ description: 'Members active in the previous period but not in this one' })
  churned: number;

  @ApiProperty({ description: 'Distinct members active in the period (new + returning)' })
  active: number;
}

export class MembersFlowResponse {
  @ApiProperty({ example: 'T0123ABCD' })
  teamId: string;

  @ApiProperty({ format: 'date', example: '2025-01-01' })
  from: string;

  @ApiProperty({ format: 'date', example: '2025-03-31' })
  to: string;

  @ApiProperty({ enum: GRANULARITIES })
  granularity: string;

  @ApiProperty({ type: [MembersFlowRow], description: 'One row per period, empty periods included' })
  data: MembersFlowRow[];
}
