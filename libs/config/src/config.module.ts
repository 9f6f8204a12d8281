import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig, loadConfig } from './app-config';

@Global()
@Module({})
export class AppConfigModule {
  /** Makes an already validated configuration injectable as `AppConfig`. */
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return { module: AppConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}
