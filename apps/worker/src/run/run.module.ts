import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { CollectModule } from '../collect/collect.module';
import { JobScheduler } from './job-scheduler';
import { RunCommand } from './run.command';

@Module({ imports: [ScheduleModule.forRoot(), MetricsModule, CollectModule], providers: [JobScheduler, RunCommand] })
export class RunModule {}
