import { MessageContract, PayloadOf, createEnvelope, HEADERS, topicName } from '@deletion/contracts';
import { Kafka } from 'kafkajs';
import { KafkaPublisher } from './kafka-publisher';

export interface PublishOptions {
  key: string;
  requestId?: string;
  workspaceId?: string;
  /** The event id, to publish one event again as a redelivery would; a new id by default. */
  eventId?: string;
}

/**
 * Publishes validated events straight to Kafka, without an outbox. For
 * callers that change no state of their own in the same step: the demo
 * loader, tools that replay platform events, and tests.
 */
export class EventPublisher {
  private readonly publisher: KafkaPublisher;

  constructor(
    kafka: Kafka,
    private readonly topicPrefix: string,
  ) {
    this.publisher = new KafkaPublisher(kafka);
  }

  async publish<TContract extends MessageContract>(contract: TContract, payload: PayloadOf<TContract>, options: PublishOptions): Promise<string> {
    const [eventId] = await this.publishAll(contract, [{ payload, ...options }]);
    return eventId;
  }

  /**
   * Publishes events of one contract in one produce request, in order, and
   * returns their event ids. Events with one key reach a consumer in one
   * fetch, as a burst from a busy service would.
   */
  async publishAll<TContract extends MessageContract>(
    contract: TContract,
    events: Array<PublishOptions & { payload: PayloadOf<TContract> }>,
  ): Promise<string[]> {
    const envelopes = events.map((event) =>
      createEnvelope({
        type: contract.type,
        schemaVersion: contract.version,
        payload: contract.schema.parse(event.payload),
        requestId: event.requestId,
        workspaceId: event.workspaceId,
        eventId: event.eventId,
      }),
    );
    await this.publisher.publish(
      envelopes.map((envelope, index) => ({
        topic: topicName(this.topicPrefix, contract.topic),
        key: events[index].key,
        value: JSON.stringify(envelope),
        headers: { [HEADERS.eventType]: contract.type, [HEADERS.schemaVersion]: String(contract.version) },
      })),
    );
    return envelopes.map((envelope) => envelope.eventId);
  }

  /** Sends a value as it is, valid or not; for replaying a captured message or testing how consumers reject bad ones. */
  async publishRaw(topic: string, key: string, value: string): Promise<void> {
    await this.publisher.publish([{ topic: topicName(this.topicPrefix, topic), key, value, headers: {} }]);
  }

  disconnect(): Promise<void> {
    return this.publisher.disconnect();
  }
}
