import { Module } from '@nestjs/common';
import { CollectCommand } from './collect.command';
import { SlackCollector } from './slack-collector';

/** `worker collect`; exports the collector for the scheduler of `worker run`. */
@Module({ providers: [SlackCollector, CollectCommand], exports: [SlackCollector] })
export class CollectModule {}
