import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';

@Module({ imports: [MetricsModule], controllers: [AdminController] })
export class AdminModule {}
