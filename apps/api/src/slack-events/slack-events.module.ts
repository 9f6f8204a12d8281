import { IngestionModule } from '@app/ingestion';
import { Module } from '@nestjs/common';
import { SlackEventsController } from './slack-events.controller';

@Module({ imports: [IngestionModule], controllers: [SlackEventsController] })
export class SlackEventsModule {}
