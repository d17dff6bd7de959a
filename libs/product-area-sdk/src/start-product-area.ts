import { databaseConfigSchema, integerVariable, kafkaConfigSchema, loadConfig, durationVariable } from '@deletion/config';
import { createKafka, ensureTopics, platformTopicNames } from '@deletion/kafka';
import { openServiceDataSource } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { MigrationInterface } from 'typeorm';
import { z } from 'zod';
import { ProductAreaDefinition } from './product-area.definition';
import { ProductAreaRunner } from './product-area.runner';

export const productAreaConfigSchema = databaseConfigSchema.extend(kafkaConfigSchema.shape).extend({
  AREA_MAX_ATTEMPTS: integerVariable(5, 1),
  AREA_RETRY_DELAY: durationVariable('2s'),
  AREA_POLL_INTERVAL: durationVariable('500ms'),
  AREA_CONCURRENCY: integerVariable(2, 1),
});
export type ProductAreaConfig = z.infer<typeof productAreaConfigSchema>;

export interface StartProductAreaOptions {
  area: ProductAreaDefinition;
  /** The area's own PostgreSQL schema: its data, purge tasks, outbox and inbox. */
  schema: string;
  migrations: Array<new () => MigrationInterface>;
  config?: ProductAreaConfig;
}

export interface RunningProductArea {
  runner: ProductAreaRunner;
  close(): Promise<void>;
}

/**
 * Starts a product area as its own process: migrates its schema, then runs
 * the purge runner. This is all an area's `main.ts` needs besides its definition.
 */
export async function startProductArea(options: StartProductAreaOptions): Promise<RunningProductArea> {
  const config = options.config ?? loadConfig(productAreaConfigSchema);
  const kafka = createKafka(config.KAFKA_BROKERS, config.KAFKA_CLIENT_ID ?? `area-${options.area.name}`);
  await ensureTopics(kafka, platformTopicNames(config.KAFKA_TOPIC_PREFIX));
  const dataSource = await openServiceDataSource({
    url: config.DATABASE_URL,
    schema: options.schema,
    entities: [],
    migrations: options.migrations,
    poolSize: config.DATABASE_POOL_SIZE,
    runMigrations: config.DATABASE_MIGRATE_ON_START,
  });

  const runner = new ProductAreaRunner({
    area: options.area,
    dataSource,
    schema: options.schema,
    kafka,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    retryPolicy: {
      maxAttempts: config.AREA_MAX_ATTEMPTS,
      initialDelayMs: config.AREA_RETRY_DELAY,
      maxDelayMs: Math.max(config.AREA_RETRY_DELAY, 300_000),
    },
    pollIntervalMs: config.AREA_POLL_INTERVAL,
    concurrency: config.AREA_CONCURRENCY,
  });
  await runner.start();
  new Logger(`ProductArea:${options.area.name}`).log(`ready (schema ${options.schema})`);

  return {
    runner,
    async close() {
      await runner.stop();
      await dataSource.destroy();
    },
  };
}
