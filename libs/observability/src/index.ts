export * from './telemetry';
export * from './logging';
export * from './observability.module';
export * from './secret-scrubber';
