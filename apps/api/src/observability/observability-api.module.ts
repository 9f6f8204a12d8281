import { Module } from '@nestjs/common';
import { FreshnessGauges } from './freshness-gauges';
import { TelemetryController } from './telemetry.controller';

@Module({ controllers: [TelemetryController], providers: [FreshnessGauges] })
export class ObservabilityApiModule {}
