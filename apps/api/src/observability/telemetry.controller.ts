import { Telemetry } from '@app/observability';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** Prometheus scrape endpoint; left out of the public API document. */
@ApiExcludeController()
@Controller('metrics')
export class TelemetryController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.telemetry.registry.metrics();
  }
}
