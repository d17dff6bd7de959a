import { EventEnvelope, topicName } from '@deletion/contracts';
import { randomUUID } from 'node:crypto';
import { Consumer, Kafka } from 'kafkajs';

export interface RecordedMessage {
  topic: string;
  key: string;
  headers: Record<string, string>;
  raw: string;
  envelope?: EventEnvelope<Record<string, unknown>>;
}

/** Records every message on some topics from the beginning, in a consumer group of its own, for assertions on what was published. */
export class TopicRecorder {
  readonly messages: RecordedMessage[] = [];
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
  ) {}

  static forLogicalTopics(kafka: Kafka, prefix: string, topics: string[]): TopicRecorder {
    return new TopicRecorder(kafka, topics.map((topic) => topicName(prefix, topic)));
  }

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `test-recorder-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const raw = message.value?.toString('utf8') ?? '';
        let envelope: RecordedMessage['envelope'];
        try {
          envelope = JSON.parse(raw) as RecordedMessage['envelope'];
        } catch {
          envelope = undefined;
        }
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        this.messages.push({ topic, key: message.key?.toString('utf8') ?? '', headers, raw, envelope });
      },
    });
  }

  /** Messages of one event type (`purge.due`), optionally only those about one request. */
  ofType(type: string, requestId?: string): RecordedMessage[] {
    return this.messages.filter(
      (message) => message.envelope?.type === type && (requestId === undefined || message.envelope.requestId === requestId),
    );
  }

  onTopic(topic: string): RecordedMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
