export * from './aggregation/aggregation.service';
export * from './calendar';
export * from './definitions';
export * from './metrics.module';
export * from './queries/metrics-queries.service';
export * from './queries/rollup-cache';
export * from './queries/sorting';
export * from './rollups-changed';
