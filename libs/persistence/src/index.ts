export * from './data-source.factory';
export * from './platform-tables.sql';
export * from './outbox/outbox.writer';
export * from './outbox/outbox.relay';
export * from './inbox/inbox.util';
export * from './delete-criteria.guard';
export * from './query-rows.util';
