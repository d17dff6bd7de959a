export * from './wait-for';
export * from './smtp-capture';
export * from './topic-recorder';
export * from './test-token';
export * from './directory-fixture';
export * from './archive-fixture';
export * from './test-environment';
export * from './s3-fault-proxy';
