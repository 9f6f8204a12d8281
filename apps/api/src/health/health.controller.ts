import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { getHeapStatistics } from 'node:v8';
import { DataSource } from 'typeorm';
import { schemaIsCurrent } from '@app/db';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { EventLoopMonitor } from './event-loop.monitor';

/** A process whose heap grows past this is restarted rather than left to thrash. */
const HEAP_LIMIT_BYTES = 1536 * 1024 * 1024;
/** A loop blocked this long serves nobody; restart it. */
const EVENT_LOOP_DELAY_LIMIT_MS = 5000;
const DATABASE_TIMEOUT_MS = 1500;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    private readonly eventLoop: EventLoopMonitor,
    private readonly shutdown: ShutdownState,
  ) {}

  /** Liveness: this process only, never the database, so an outage does not restart every pod. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      // Terminus' checkHeap reads process.memoryUsage(), whose RSS read from /proc was a fifth of this probe's CPU
      // time; the heap figure alone is the same number (heapUsed) without it.
      () => {
        const session = this.indicators.check('heap');
        return getHeapStatistics().used_heap_size > HEAP_LIMIT_BYTES ? session.down({ message: 'Used heap exceeded the set threshold' }) : session.up();
      },
      () => {
        const delayMs = Math.round(this.eventLoop.delayP99Ms);
        const session = this.indicators.check('eventLoop');
        return delayMs < EVENT_LOOP_DELAY_LIMIT_MS ? session.up({ delayP99Ms: delayMs }) : session.down({ delayP99Ms: delayMs });
      },
    ]);
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
