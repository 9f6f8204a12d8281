import { Global, Module } from '@nestjs/common';
import { Telemetry } from './telemetry';

@Global()
@Module({ providers: [Telemetry], exports: [Telemetry] })
export class ObservabilityModule {}
