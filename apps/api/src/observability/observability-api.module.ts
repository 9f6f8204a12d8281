import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { FreshnessGauges } from './freshness-gauges';
import { TelemetryController } from './telemetry.controller';

@Module({ imports: [MetricsModule], controllers: [TelemetryController], providers: [FreshnessGauges] })
export class ObservabilityApiModule {}
