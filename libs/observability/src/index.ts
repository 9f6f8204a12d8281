export * from './app-metrics';
export * from './observability.module';
