import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { CacheWarmUp } from './cache-warm-up';
import { MetricsAnswers } from './metrics-answers';
import { MetricsController } from './metrics.controller';

@Module({ imports: [MetricsModule], controllers: [MetricsController], providers: [MetricsAnswers, CacheWarmUp] })
export class MetricsApiModule {}
