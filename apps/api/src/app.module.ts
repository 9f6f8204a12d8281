import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/db';
import { loggingModule, ObservabilityModule } from '@app/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { HealthModule } from './health/health.module';
import { ApiV1Module } from './api-v1/api-v1.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { SlackEventsModule } from './slack-events/slack-events.module';
import { ObservabilityApiModule } from './observability/observability-api.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        loggingModule(logger),
        ObservabilityModule,
        ObservabilityApiModule,
        DatabaseModule.forRoot('slack-metrics-api'),
        LifecycleModule,
        HealthModule,
        SlackEventsModule,
        ApiV1Module,
      ],
    };
  }
}
