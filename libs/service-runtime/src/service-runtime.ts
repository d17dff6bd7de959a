import { DatabaseConfig, KafkaConfig } from '@deletion/config';
import { KafkaPublisher, createKafka, ensureTopics, platformTopicNames } from '@deletion/kafka';
import { OutboxRelay, OutboxWriter, STEADY_LOAD_LINGER_MS, openServiceDataSource } from '@deletion/persistence';
import { Kafka } from 'kafkajs';
import { DataSource, EntitySchema, MixedList } from 'typeorm';

export interface ServiceRuntimeOptions {
  serviceName: string;
  schema: string;
  database: DatabaseConfig;
  kafka: KafkaConfig;
  entities?: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  outboxIdleMs?: number;
}

/**
 * Shared base of every service: its data source (migrated), a Kafka client, and
 * an outbox writer with the relay that publishes it. Services create one at
 * start-up and close it last, after their consumers have stopped.
 */
export class ServiceRuntime {
  readonly outbox: OutboxWriter;
  readonly relay: OutboxRelay;
  /** The Kafka producer behind the relay, for a service that runs a relay of its own. */
  readonly publisher: KafkaPublisher;

  private constructor(
    readonly options: ServiceRuntimeOptions,
    readonly dataSource: DataSource,
    readonly kafka: Kafka,
  ) {
    this.outbox = new OutboxWriter(options.schema, options.kafka.KAFKA_TOPIC_PREFIX);
    this.publisher = new KafkaPublisher(kafka);
    this.relay = new OutboxRelay(dataSource, this.publisher, {
      schema: options.schema,
      batchSize: 500,
      idleMs: options.outboxIdleMs ?? 100,
      lingerMs: STEADY_LOAD_LINGER_MS,
    });
  }

  static async open(options: ServiceRuntimeOptions): Promise<ServiceRuntime> {
    const kafka = createKafka(options.kafka.KAFKA_BROKERS, options.kafka.KAFKA_CLIENT_ID ?? options.serviceName);
    await ensureTopics(kafka, platformTopicNames(options.kafka.KAFKA_TOPIC_PREFIX));
    const dataSource = await openServiceDataSource({
      url: options.database.DATABASE_URL,
      schema: options.schema,
      entities: options.entities ?? [],
      migrations: options.migrations,
      poolSize: options.database.DATABASE_POOL_SIZE,
      runMigrations: options.database.DATABASE_MIGRATE_ON_START,
    });
    const runtime = new ServiceRuntime(options, dataSource, kafka);
    runtime.relay.start();
    return runtime;
  }

  /** Consumer group id of this service, with the deployment's prefix. */
  groupId(name = this.options.serviceName): string {
    return `${this.options.kafka.KAFKA_TOPIC_PREFIX}${name}`;
  }

  get topicPrefix(): string {
    return this.options.kafka.KAFKA_TOPIC_PREFIX;
  }

  async close(): Promise<void> {
    await this.relay.stop();
    await this.publisher.disconnect();
    await this.dataSource.destroy();
  }
}
