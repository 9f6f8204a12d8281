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

  /**
   * Liveness: this process only, never the database, so an outage does not
   * restart every pod. Probed often, so answered without Terminus: two
   * numbers read and compared, in Terminus' response shape.
   */
  @Get('live')
  @HealthCheck()
  live() {
    const heapUsedBytes = getHeapStatistics().used_heap_size;
    const delayP99Ms = Math.round(this.eventLoop.delayP99Ms);
    const heap = heapUsedBytes <= HEAP_LIMIT_BYTES ? { status: 'up' } : { status: 'down', message: 'Used heap exceeded the set threshold' };
    const eventLoop = { status: delayP99Ms < EVENT_LOOP_DELAY_LIMIT_MS ? 'up' : 'down', delayP99Ms };
    const details = { heap, eventLoop };
    const down = Object.fromEntries(Object.entries(details).filter(([, check]) => check.status === 'down'));
    if (Object.keys(down).length > 0) {
      throw new ServiceUnavailableException({ status: 'error', info: {}, error: down, details });
    }
    return { status: 'ok', info: details, error: {}, details };
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
