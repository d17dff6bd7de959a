export * from './archive-key.util';
export * from './archived-event';
export * from './utc-day.util';
