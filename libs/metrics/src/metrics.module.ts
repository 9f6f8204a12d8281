import { Module } from '@nestjs/common';
import { AggregationService } from './aggregation/aggregation.service';
import { MetricsQueries } from './queries/metrics-queries.service';

/** Aggregation and rollup reads; needs the DataSource, AppConfig and AppMetrics providers of the app. */
@Module({ providers: [AggregationService, MetricsQueries], exports: [AggregationService, MetricsQueries] })
export class MetricsModule {}
