export * from './app-metrics';
export * from './logging';
export * from './observability.module';
export * from './secret-scrubber';
