import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
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
   * database, so an outage does not restart every pod. Probed often, so it
   * is sent straight to the reply: the sampled report's JSON is made once
   * (see reusedBody), and Nest's handling of a returned body, which looks
   * for a stream inside it, would cost more than the rest of the probe.
   */
  @Get('live')
  @HealthCheck()
  live(@Res() reply: FastifyReply): void {
    const report: LivenessReport = this.liveness.latest;
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    void reply.send(report);
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
