import { Module } from '@nestjs/common';
import { SlackCollector } from './collect/slack-collector';
import { SlackEventApplier } from './events/slack-event-applier';

/**
 * The ingestion sources as providers, for the apps to put behind their
 * transports: the collector behind `worker collect` and the scheduler, the
 * Events API applier behind `POST /slack/events`. The export import is a
 * function of a DataSource (`importSlackExport`), called by `worker import`
 * and `worker demo`. Needs the DataSource, DatabaseConnector, AppConfig and
 * Telemetry providers of the app.
 */
@Module({ providers: [SlackCollector, SlackEventApplier], exports: [SlackCollector, SlackEventApplier] })
export class IngestionModule {}
