import { Get, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty } from '@nestjs/swagger';
import { CatalogueQueries } from '@app/metrics';
import { ApiOkJsonOrCsv, ApiV1Controller } from '../common/api-docs';
import { CsvRows } from '../common/csv.interceptor';
import { FormatQuery } from '../common/query.dto';

export class WorkspaceDto {
  @ApiProperty({ example: 'T0123ABCD' })
  id: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'acme' })
  domain: string | null;
}

export class WorkspacesResponse {
  @ApiProperty({ type: [WorkspaceDto] })
  data: WorkspaceDto[];
}

@ApiV1Controller('workspaces', 'workspaces')
export class WorkspacesController {
  constructor(private readonly catalogue: CatalogueQueries) {}

  @Get()
  @ApiOperation({ summary: 'Known workspaces' })
  @ApiOkJsonOrCsv(WorkspacesResponse, 'Every stored workspace')
  @CsvRows(['id', 'name', 'domain'], 'workspaces')
  async list(@Query() _query: FormatQuery): Promise<WorkspacesResponse> {
    return { data: await this.catalogue.workspaces() };
  }
}
