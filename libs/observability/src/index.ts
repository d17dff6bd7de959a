export * from './health-check';
export * from './observability.module';
