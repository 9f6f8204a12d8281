import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module';
import { ChannelsModule } from '../channels/channels.module';
import { MetricsApiModule } from '../metrics/metrics-api.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';

/** Everything under /api/v1. */
@Module({ imports: [WorkspacesModule, ChannelsModule, MetricsApiModule, AdminModule] })
export class ApiV1Module {}
