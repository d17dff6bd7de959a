export * from './duration.util';
export * from './load-config.util';
export * from './common-config';
