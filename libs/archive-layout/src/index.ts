export * from './archive-key.util';
export * from './archived-event';
