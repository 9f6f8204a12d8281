import { Module } from '@nestjs/common';
import { AggregationService } from './aggregation/aggregation.service';
import { CatalogueQueries } from './queries/catalogue-queries.service';
import { MemberFlowQueries } from './queries/member-flow-queries.service';
import { MetricsQueries } from './queries/metrics-queries.service';
import { RollupCache } from './queries/rollup-cache';

/** Aggregation, rollup reads and the catalogue of what is stored; needs the DataSource, AppConfig and Telemetry providers of the app. */
@Module({
  providers: [AggregationService, MetricsQueries, CatalogueQueries, RollupCache, MemberFlowQueries],
  exports: [AggregationService, MetricsQueries, CatalogueQueries, RollupCache, MemberFlowQueries],
})
export class MetricsModule {}
