import { Module } from '@nestjs/common';
import { SlackEventHandler } from './slack-event-handler';
import { SlackEventsController } from './slack-events.controller';

@Module({ controllers: [SlackEventsController], providers: [SlackEventHandler] })
export class SlackEventsModule {}
