import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/db';
import { ObservabilityModule } from '@app/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [AppConfigModule.forRoot(config), ObservabilityModule, DatabaseModule.forRoot('slack-metrics-api'), LifecycleModule, HealthModule],
    };
  }
}
