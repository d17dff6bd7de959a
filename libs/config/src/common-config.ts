import { z } from 'zod';
import { booleanVariable, integerVariable } from './load-config.util';

/** Variables every service reads: where PostgreSQL and Kafka are, and how topics are named. */
export const databaseVariables = {
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/deletion_platform'),
  // Each outbox relay keeps up to three connections (its lock, a batch in flight, the next batch), and purge-executor runs two relays.
  DATABASE_POOL_SIZE: integerVariable(10, 6),
  DATABASE_MIGRATE_ON_START: booleanVariable(true),
};

export const kafkaVariables = {
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((text) => text.split(',').map((broker) => broker.trim()).filter(Boolean)),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[a-zA-Z0-9._-]*$/, 'use letters, digits, dots, underscores or hyphens').default(''),
  KAFKA_CLIENT_ID: z.string().optional(),
};

export const databaseConfigSchema = z.object(databaseVariables);
export type DatabaseConfig = z.infer<typeof databaseConfigSchema>;

export const kafkaConfigSchema = z.object(kafkaVariables);
export type KafkaConfig = z.infer<typeof kafkaConfigSchema>;
