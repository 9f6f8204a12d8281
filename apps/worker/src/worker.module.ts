import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/db';
import { DynamicModule, Module } from '@nestjs/common';
import { MigrateModule } from './migrate/migrate.module';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [AppConfigModule.forRoot(config), DatabaseModule.forRoot('slack-metrics-worker'), MigrateModule],
    };
  }
}
