import { Logger } from '@nestjs/common';
import { Kafka, LogEntry, logLevel } from 'kafkajs';

function createLogCreator(clientId: string) {
  const logger = new Logger(`kafkajs:${clientId}`);
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const text = `${message} ${JSON.stringify(extra)}`;
      if (level === logLevel.ERROR) {
        logger.error(text);
      } else if (level === logLevel.WARN) {
        logger.warn(text);
      }
    };
}

/** Creates a kafkajs client that logs warnings and errors through the service's logger. */
export function createKafka(brokers: string[], clientId: string): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: createLogCreator(clientId),
    retry: { initialRetryTime: 300, retries: 10 },
  });
}
