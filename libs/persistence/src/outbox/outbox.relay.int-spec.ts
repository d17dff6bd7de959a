import { KafkaPublisher, ensureTopics } from '@deletion/kafka';
import { TestEnvironment, TopicRecorder, waitFor } from '@deletion/testing';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { openServiceDataSource } from '../data-source.factory';
import { messagingTablesUpSql } from '../platform-tables.sql';
import { OutboxRelay } from './outbox.relay';

class CreateRelayTables1733300000001 implements MigrationInterface {
  name = 'CreateRelayTables1733300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of messagingTablesUpSql('relay_spec')) {
      await queryRunner.query(statement);
    }
  }

  async down(): Promise<void> {}
}

describe('OutboxRelay on PostgreSQL and Kafka', () => {
  const env = new TestEnvironment();
  let dataSource: DataSource;
  let publisher: KafkaPublisher;
  let relay: OutboxRelay;
  let recorder: TopicRecorder;
  const topic = () => `${env.topicPrefix}relay-spec`;

  const addEvents = async (values: string[]) => {
    for (const value of values) {
      await dataSource.query(`INSERT INTO relay_spec.outbox (topic, message_key, headers, payload) VALUES ($1, 'key', '{}', $2::jsonb)`, [
        topic(),
        JSON.stringify({ value }),
      ]);
    }
  };
  const published = () => recorder.messages.map((message) => (JSON.parse(message.raw) as { value: string }).value);
  const outboxSize = async () => Number((await dataSource.query('SELECT count(*) FROM relay_spec.outbox'))[0].count);

  beforeAll(async () => {
    await env.start();
    dataSource = await openServiceDataSource({
      url: env.databaseUrl,
      schema: 'relay_spec',
      entities: [],
      migrations: [CreateRelayTables1733300000001],
      poolSize: 6,
      runMigrations: true,
    });
    await ensureTopics(env.kafka, [topic()], 1);
    publisher = new KafkaPublisher(env.kafka);
    relay = new OutboxRelay(dataSource, publisher, { schema: 'relay_spec', batchSize: 2, idleMs: 20 });
    recorder = new TopicRecorder(env.kafka, [topic()]);
    await recorder.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await recorder?.stop();
    await publisher?.disconnect();
    await dataSource?.destroy();
    await env.dispose();
  });

  it('publishes committed events in the order they were written and removes them', async () => {
    relay.start();
    await addEvents(['a', 'b', 'c', 'd', 'e']);
    await waitFor(async () => published().length === 5, { description: 'five published events' });
    expect(published()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await outboxSize()).toBe(0);
  });

  it('publishes an event that commits after events with higher ids', async () => {
    const late = dataSource.createQueryRunner();
    await late.connect();
    await late.startTransaction();
    await late.query(`INSERT INTO relay_spec.outbox (topic, message_key, headers, payload) VALUES ($1, 'key', '{}', $2::jsonb)`, [
      topic(),
      JSON.stringify({ value: 'late' }),
    ]);
    await addEvents(['x', 'y']);
    await waitFor(async () => published().includes('y'), { description: 'the events committed first' });

    await late.commitTransaction();
    await late.release();
    await waitFor(async () => published().includes('late'), { description: 'the event committed late' });
    expect(await outboxSize()).toBe(0);
  });

  it('claims nothing while held and publishes what waited once released', async () => {
    relay.hold();
    await addEvents(['f', 'g', 'h']);
    // Ten idle periods: long enough for an unheld relay to have published.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(published()).toHaveLength(8);
    expect(await outboxSize()).toBe(3);

    relay.release();
    await waitFor(async () => published().length === 11, { description: 'the held events' });
    expect(published().slice(8)).toEqual(['f', 'g', 'h']);
  });

  it('claims more at once while a backlog lasts, keeping the order', async () => {
    relay.hold();
    const backlog = Array.from({ length: 40 }, (_, index) => `backlog-${index}`);
    await dataSource.query(
      `INSERT INTO relay_spec.outbox (topic, message_key, headers, payload) SELECT $1, 'key', '{}', jsonb_build_object('value', value) FROM unnest($2::text[]) AS value`,
      [topic(), backlog],
    );
    const batches: number[] = [];
    const publish = publisher.publish.bind(publisher);
    publisher.publish = async (records) => {
      batches.push(records.length);
      return publish(records);
    };

    relay.release();
    await waitFor(async () => published().length === 51, { description: 'the backlog' });

    expect(published().slice(11)).toEqual(backlog);
    // Batches of 2 would take 20 publishes; claims double up to 4 batch sizes (8 events).
    expect(Math.max(...batches)).toBe(8);
    expect(batches.length).toBeLessThan(10);
  });

  it('waits after a short claim, so events written meanwhile go out together', async () => {
    // A relay of its own: only one relay of a schema publishes at a time.
    await relay.stop();
    relay = new OutboxRelay(dataSource, publisher, { schema: 'relay_spec', batchSize: 10, idleMs: 20, lingerMs: 1_000 });
    const batches: string[][] = [];
    const publish = publisher.publish.bind(publisher);
    publisher.publish = async (records) => {
      batches.push(records.map((record) => (JSON.parse(record.value) as { value: string }).value));
      return publish(records);
    };
    relay.start();

    await addEvents(['alone']);
    await waitFor(() => batches.some((batch) => batch.includes('alone')), { description: 'the first event' });
    await addEvents(['later-1', 'later-2', 'later-3']);
    await waitFor(() => batches.some((batch) => batch.includes('later-3')), { description: 'the later events' });

    expect(batches.slice(-2)).toEqual([['alone'], ['later-1', 'later-2', 'later-3']]);
  });
});
