import { Kafka, Partitioners, Producer } from 'kafkajs';
import type { OutgoingRecord, RecordPublisher } from '@deletion/persistence';

/**
 * A producer that waits for every in-sync replica (`acks: -1`) before a
 * publish resolves, so the outbox row is only deleted once the event is durable.
 */
export class KafkaPublisher implements RecordPublisher {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  async disconnect(): Promise<void> {
    if (this.connected) {
      await this.producer.disconnect();
      this.connected = undefined;
    }
  }

  async publish(records: OutgoingRecord[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const record of records) {
      const topicRecords = byTopic.get(record.topic);
      if (topicRecords) {
        topicRecords.push(record);
      } else {
        byTopic.set(record.topic, [record]);
      }
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, topicRecords]) => ({
        topic,
        messages: topicRecords.map((record) => ({ key: record.key, value: record.value, headers: record.headers })),
      })),
    });
  }
}
