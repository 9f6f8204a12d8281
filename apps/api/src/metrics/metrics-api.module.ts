import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

@Module({ imports: [MetricsModule], controllers: [MetricsController] })
export class MetricsApiModule {}
