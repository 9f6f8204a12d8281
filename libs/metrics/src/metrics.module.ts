import { Module } from '@nestjs/common';
import { AggregationService } from './aggregation/aggregation.service';
import { MetricsQueries } from './queries/metrics-queries.service';
import { RollupCache } from './queries/rollup-cache';

/** Aggregation and rollup reads; needs the DataSource, AppConfig and Telemetry providers of the app. */
@Module({ providers: [AggregationService, MetricsQueries, RollupCache], exports: [AggregationService, MetricsQueries, RollupCache] })
export class MetricsModule {}
