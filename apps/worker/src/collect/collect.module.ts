import { IngestionModule } from '@app/ingestion';
import { Module } from '@nestjs/common';
import { CollectCommand } from './collect.command';

/** `worker collect`; exports the ingestion sources for the scheduler of `worker run`. */
@Module({ imports: [IngestionModule], providers: [CollectCommand], exports: [IngestionModule] })
export class CollectModule {}
