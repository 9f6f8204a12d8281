import { Module } from '@nestjs/common';
import { FreshnessGauges } from './freshness-gauges';
import { MetricsController } from './metrics.controller';

@Module({ controllers: [MetricsController], providers: [FreshnessGauges] })
export class ObservabilityApiModule {}
