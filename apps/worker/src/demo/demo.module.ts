import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { DemoCommand } from './demo.command';

@Module({ imports: [MetricsModule], providers: [DemoCommand] })
export class DemoModule {}
