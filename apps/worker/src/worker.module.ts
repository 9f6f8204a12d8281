import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/db';
import { loggingModule, ObservabilityModule } from '@app/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { AggregateModule } from './aggregate/aggregate.module';
import { CollectModule } from './collect/collect.module';
import { DemoModule } from './demo/demo.module';
import { ImportModule } from './import/import.module';
import { MigrateModule } from './migrate/migrate.module';
import { RunModule } from './run/run.module';

/** Rollups and bulk imports run long statements by design; only the pathological ones are worth a warning. */
const WORKER_SLOW_QUERY_MS = 60_000;

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config),
        loggingModule(logger),
        ObservabilityModule,
        DatabaseModule.forRoot('slack-metrics-worker', { slowQueryMs: WORKER_SLOW_QUERY_MS }),
        MigrateModule,
        CollectModule,
        ImportModule,
        AggregateModule,
        RunModule,
        DemoModule,
      ],
    };
  }
}
