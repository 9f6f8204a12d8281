export * from './request-signature';
export * from './slack-api';
export * from './slack-ids';
export * from './slack-payloads';
