import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { schemaIsCurrent } from '@app/db';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { LivenessMonitor, type LivenessReport } from './liveness.monitor';

const DATABASE_TIMEOUT_MS = 1500;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    private readonly liveness: LivenessMonitor,
    private readonly shutdown: ShutdownState,
  ) {}

  /**
   * Liveness: this process only (heap, event-loop delay), never the
   * database, so an outage does not restart every pod.
   */
  @Get('live')
  @HealthCheck()
  live(): LivenessReport {
    const report = this.liveness.latest;
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    return report;
  }

  /** Readiness: not draining, the database answers in time and the schema is current. */
  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.shutdown.isDraining) {
      throw new ServiceUnavailableException({ status: 'error', error: { shutdown: { status: 'down', message: 'draining' } } });
    }
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(DATABASE_TIMEOUT_MS),
      async () => {
        const session = this.indicators.check('migrations');
        const current = await schemaIsCurrent(this.dataSource).catch(() => undefined);
        if (current === undefined) return session.down({ message: 'could not read the migrations table' });
        return current ? session.up() : session.down({ message: 'migrations pending' });
      },
    ]);
  }
}
