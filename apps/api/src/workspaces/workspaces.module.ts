import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { WorkspacesController } from './workspaces.controller';

@Module({ imports: [MetricsModule], controllers: [WorkspacesController] })
export class WorkspacesModule {}
