export * from './kafka-client.factory';
export * from './topic-provisioner';
export * from './kafka-publisher';
export * from './message-errors';
export * from './event-consumer';
export * from './event-publisher';
