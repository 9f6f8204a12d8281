export * from './activity-store';
export * from './records';
export * from './request-signature';
export * from './slack-payloads';
export * from './slack-api';
export * from './export';
export * from './message-batch';
