import { MetricsModule } from '@app/metrics';
import { Module } from '@nestjs/common';
import { ChannelsController } from './channels.controller';

@Module({ imports: [MetricsModule], controllers: [ChannelsController] })
export class ChannelsModule {}
