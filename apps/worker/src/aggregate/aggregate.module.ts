import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { AggregateCommand } from './aggregate.command';

@Module({ imports: [MetricsModule], providers: [AggregateCommand] })
export class AggregateModule {}
