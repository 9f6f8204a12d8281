import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/db';
import { ObservabilityModule } from '@app/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { MigrateModule } from './migrate/migrate.module';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [AppConfigModule.forRoot(config), ObservabilityModule, DatabaseModule.forRoot('slack-metrics-worker'), MigrateModule],
    };
  }
}
