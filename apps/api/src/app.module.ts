import { AppConfig, AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/db';
import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [AppConfigModule.forRoot(config), DatabaseModule.forRoot('slack-metrics-api'), LifecycleModule, HealthModule],
    };
  }
}
