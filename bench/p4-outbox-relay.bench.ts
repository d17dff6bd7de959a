import { createEnvelope, HEADERS } from '@deletion/contracts';
import { KafkaPublisher, ensureTopics } from '@deletion/kafka';
import { OutboxRelay, STEADY_LOAD_LINGER_MS, messagingTablesUpSql, openServiceDataSource } from '@deletion/persistence';
import { TestEnvironment } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { Consumer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { BenchOptions, createBenchEnvironment, until } from './support/bench-environment';
import { Benchmark, Measurement, percentile } from './support/harness';

const SCHEMA = 'bench_outbox';

/**
 * P4: the outbox relay publishing committed events (select, publish with
 * acks -1, delete) against a bare kafkajs producer sending the same payloads
 * from memory in batches of the same size. A separate phase commits events
 * at a steady rate while the relay runs and measures commit-to-publish latency.
 */
export function outboxRelayBenchmark(options: BenchOptions): Benchmark {
  const events = options.full ? 100_000 : 20_000;
  const batchSize = 500;
  let env: TestEnvironment;
  let dataSource: DataSource;
  let publisher: KafkaPublisher;
  let topic: string;

  const payloadFor = (index: number, committedAt: number) =>
    JSON.stringify(
      createEnvelope({
        type: 'bench.event',
        schemaVersion: 1,
        payload: { index, committedAt, workspace: `ws-${index % 50}`, padding: 'x'.repeat(200) },
      }),
    );

  const insertEvents = async (count: number) => {
    for (let start = 0; start < count; start += 1_000) {
      const size = Math.min(1_000, count - start);
      await dataSource.query(
        `INSERT INTO ${SCHEMA}.outbox (topic, message_key, headers, payload)
         SELECT $1, 'ws-' || (n % 50), $2::jsonb, $3::jsonb FROM generate_series(1, $4) AS n`,
        [topic, JSON.stringify({ [HEADERS.eventType]: 'bench.event' }), payloadFor(start, Date.now()), size],
      );
    }
  };

  // One probe of the primary key: a count(*) every 20 ms scanned the whole table and competed with the relay it timed.
  const outboxEmpty = async () => (await dataSource.query(`SELECT id FROM ${SCHEMA}.outbox ORDER BY id LIMIT 1`)).length === 0;

  /** Commits events at `perSecond` for `seconds` while the relay runs; returns commit-to-publish latencies in ms. */
  const measureLatency = async (perSecond: number, seconds: number): Promise<number[]> => {
    const latencies: number[] = [];
    const consumer: Consumer = env.kafka.consumer({ groupId: `bench-latency-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    const marker = randomUUID();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const envelope = JSON.parse(message.value?.toString() ?? '{}');
        if (envelope.payload?.marker === marker) {
          latencies.push(Number(message.timestamp) - envelope.payload.committedAt);
        }
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const relay = new OutboxRelay(dataSource, publisher, { schema: SCHEMA, batchSize, idleMs: 100, lingerMs: STEADY_LOAD_LINGER_MS });
    relay.start();
    const perTick = Math.max(1, Math.round(perSecond / 20));
    const total = perSecond * seconds;
    for (let sent = 0; sent < total; sent += perTick) {
      const committedAt = Date.now();
      const payload = JSON.stringify(createEnvelope({ type: 'bench.event', schemaVersion: 1, payload: { marker, committedAt, padding: 'x'.repeat(200) } }));
      await dataSource.query(
        `INSERT INTO ${SCHEMA}.outbox (topic, message_key, headers, payload) SELECT $1, 'ws-' || n, '{}'::jsonb, $2::jsonb FROM generate_series(1, $3) AS n`,
        [topic, payload, perTick],
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, committedAt + 50 - Date.now())));
    }
    await until(async () => latencies.length >= total, 60_000, 'every latency sample', 50);
    await relay.stop();
    await consumer.disconnect();
    return latencies;
  };

  return {
    id: 'P4',
    title: `outbox relay (${events.toLocaleString('en-US')} events)`,
    unit: 'events/s',
    baselineName: 'bare kafkajs producer, batches of 500 from memory',
    targetText: '≥ 0.6; commit-to-publish p99 ≤ 1 s under load',
    async setup() {
      env = await createBenchEnvironment();
      topic = `${env.topicPrefix}bench.outbox`;
      await ensureTopics(env.kafka, [topic]);
      dataSource = await openServiceDataSource({
        url: env.databaseUrl,
        schema: SCHEMA,
        entities: [],
        migrations: [],
        poolSize: 6,
        runMigrations: false,
      });
      for (const statement of messagingTablesUpSql(SCHEMA)) {
        await dataSource.query(statement);
      }
      publisher = new KafkaPublisher(env.kafka);
      await publisher.connect();
    },
    async baseline(): Promise<Measurement> {
      const payloads = Array.from({ length: events }, (_, index) => payloadFor(index, Date.now()));
      const started = performance.now();
      for (let start = 0; start < events; start += batchSize) {
        await publisher.publish(
          payloads.slice(start, start + batchSize).map((value, offset) => ({
            topic,
            key: `ws-${(start + offset) % 50}`,
            value,
            headers: { [HEADERS.eventType]: 'bench.event' },
          })),
        );
      }
      return { rate: events / ((performance.now() - started) / 1_000) };
    },
    async platform(run): Promise<Measurement> {
      await insertEvents(events);
      const relay = new OutboxRelay(dataSource, publisher, { schema: SCHEMA, batchSize, idleMs: 100, lingerMs: STEADY_LOAD_LINGER_MS });
      const started = performance.now();
      relay.start();
      await until(outboxEmpty, 600_000, 'the outbox to drain', 20);
      const seconds = (performance.now() - started) / 1_000;
      await relay.stop();

      const extra: Record<string, number> = {};
      if (run === 0 || run === 2 || run === 4) {
        const latencies = await measureLatency(options.full ? 2_000 : 1_000, 5);
        extra['commit-to-publish p99 ms'] = percentile(latencies, 0.99);
      }
      return { rate: events / seconds, extra };
    },
    check(summary) {
      const failures: string[] = [];
      if (summary.ratio < 0.6) {
        failures.push(`ratio ${summary.ratio.toFixed(2)} < 0.6`);
      }
      const p99 = summary.extra['commit-to-publish p99 ms']?.max ?? Infinity;
      if (p99 > 1_000) {
        failures.push(`commit-to-publish p99 ${p99.toFixed(0)} ms > 1 s`);
      }
      return failures;
    },
    async teardown() {
      await publisher?.disconnect();
      await dataSource?.destroy();
      await env?.dispose();
    },
  };
}
