export * from './collect/slack-collector';
export * from './events/slack-event-applier';
export * from './export';
export * from './ingestion.module';
export * from './records';
export * from './store/activity-store';
export * from './store/message-batch';
export * from './store/message-columns';
