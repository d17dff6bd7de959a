import {
  EventEnvelope,
  HEADERS,
  MessageContract,
  PayloadOf,
  deadLetterTopic,
  envelopeSchema,
  findContract,
  topicName,
} from '@deletion/contracts';
import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaPublisher } from './kafka-publisher';
import { MissingReferenceError, PermanentMessageError } from './message-errors';
import { ensureTopics } from './topic-provisioner';

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  /** Keeps this consumer's group membership alive during a long handler. */
  heartbeat(): Promise<void>;
}

export type EventHandler<TContract extends MessageContract> = (
  envelope: EventEnvelope<PayloadOf<TContract>>,
  context: MessageContext,
) => Promise<void>;

export interface EventConsumerOptions {
  /** Consumer group id, already carrying the deployment's topic prefix. */
  groupId: string;
  topicPrefix: string;
  /** Attempts for a handler that throws a transient error, before the message is handed back to kafkajs. */
  maxAttempts: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  partitionsConsumedConcurrently?: number;
  /** How many requests of one fetched batch are handled at once; default 4. */
  lanesPerBatch?: number;
}

type ParsedMessage = { envelope: EventEnvelope<unknown> } | { rejection: { code: string; reason: string } };

interface IncomingMessage {
  message: KafkaMessage;
  parsed: ParsedMessage;
}

/** Returns the lane of a message: its request, or its key when the event belongs to no request. */
function laneOf({ message, parsed }: IncomingMessage): string {
  if ('envelope' in parsed && parsed.envelope.requestId) {
    return `request:${parsed.envelope.requestId}`;
  }
  return `key:${message.key?.toString('utf8') ?? ''}`;
}

export interface DeadLetter {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  reasonCode: string;
  reason: string;
}

/**
 * One consumer group that validates every message against its contract
 * before a handler receives it.
 *
 * - A message that is not a valid envelope, has an unknown type, or fails its
 *   schema goes to the group's dead-letter topic with the reason, and so does
 *   one whose handler throws `PermanentMessageError`. The offset then moves
 *   on, so one poison message never blocks its partition.
 * - A `MissingReferenceError` is retried like a transient error and is
 *   dead-lettered once `maxAttempts` are used up.
 * - Any other error is transient: the handler is retried with backoff, with
 *   heartbeats in between, and after `maxAttempts` the error is rethrown so
 *   kafkajs restarts from the same offset. Nothing is skipped silently.
 * - Types this group has no handler for are ignored: several consumers share
 *   the platform topics, each handling its own types.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private readonly handlers = new Map<string, { contract: MessageContract; handler: EventHandler<MessageContract> }>();
  private readonly deadLetterPublisher: KafkaPublisher;
  private consumer?: Consumer;
  private deadLetterListener?: (deadLetter: DeadLetter) => void;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventConsumerOptions,
  ) {
    this.logger = new Logger(`EventConsumer:${options.groupId}`);
    this.deadLetterPublisher = new KafkaPublisher(kafka);
  }

  on<TContract extends MessageContract>(contract: TContract, handler: EventHandler<TContract>): this {
    this.handlers.set(`${contract.type}@${contract.version}`, {
      contract,
      handler: handler as unknown as EventHandler<MessageContract>,
    });
    return this;
  }

  onDeadLetter(listener: (deadLetter: DeadLetter) => void): this {
    this.deadLetterListener = listener;
    return this;
  }

  get deadLetterTopicName(): string {
    return deadLetterTopic(this.options.groupId);
  }

  /** Subscribes and joins the group; resolves once this member has its partitions. */
  async start(): Promise<void> {
    const topics = [...new Set([...this.handlers.values()].map(({ contract }) => topicName(this.options.topicPrefix, contract.topic)))];
    await ensureTopics(this.kafka, [this.deadLetterTopicName]);
    await this.deadLetterPublisher.connect();

    this.consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error(`consumer crashed (restart: ${event.payload.restart}): ${String(event.payload.error)}`);
    });

    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log(`consuming ${topics.join(', ')}`);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
    await this.deadLetterPublisher.disconnect();
  }

  /** Handles one partition's batch in lanes (see the class comment) and resolves the offsets of the handled prefix. */
  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const lanes = new Map<string, IncomingMessage[]>();
    for (const message of batch.messages) {
      const incoming: IncomingMessage = { message, parsed: this.parse(message.value?.toString('utf8') ?? '') };
      const lane = laneOf(incoming);
      const queue = lanes.get(lane);
      if (queue) {
        queue.push(incoming);
      } else {
        lanes.set(lane, [incoming]);
      }
    }

    const handled = new Set<string>();
    let failure: { error: unknown } | undefined;
    const runLane = async (queue: IncomingMessage[]) => {
      for (const incoming of queue) {
        if (failure || !isRunning() || isStale()) {
          return;
        }
        const context: MessageContext = { topic: batch.topic, partition: batch.partition, offset: incoming.message.offset, heartbeat };
        try {
          await this.handleMessage(incoming, context);
        } catch (error) {
          failure ??= { error };
          return;
        }
        handled.add(incoming.message.offset);
        await heartbeat();
      }
    };
    const queues = [...lanes.values()];
    let next = 0;
    const workers = Array.from({ length: Math.min(this.options.lanesPerBatch ?? 4, queues.length) }, async () => {
      while (next < queues.length) {
        await runLane(queues[next++]);
      }
    });
    await Promise.all(workers);

    for (const message of batch.messages) {
      if (!handled.has(message.offset)) {
        break;
      }
      resolveOffset(message.offset);
    }
    if (failure) {
      throw failure.error;
    }
  }

  private async handleMessage({ message, parsed }: IncomingMessage, context: MessageContext): Promise<void> {
    if ('rejection' in parsed) {
      await this.sendToDeadLetter(message, context, parsed.rejection.code, parsed.rejection.reason);
      return;
    }
    const registered = this.handlers.get(`${parsed.envelope.type}@${parsed.envelope.schemaVersion}`);
    if (!registered) {
      return;
    }

    const payload = registered.contract.schema.safeParse(parsed.envelope.payload);
    if (!payload.success) {
      const reason = payload.error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`).join('; ');
      await this.sendToDeadLetter(message, context, 'invalid_payload', `${parsed.envelope.type}: ${reason}`);
      return;
    }

    const envelope = { ...parsed.envelope, payload: payload.data } as EventEnvelope<unknown>;
    await this.runWithRetries(registered.handler, envelope, context, message);
  }

  private parse(raw: string): ParsedMessage {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { rejection: { code: 'invalid_json', reason: 'message value is not JSON' } };
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      const reason = envelope.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      return { rejection: { code: 'invalid_envelope', reason } };
    }
    if (!findContract(envelope.data.type, envelope.data.schemaVersion)) {
      return {
        rejection: {
          code: 'unknown_type',
          reason: `no contract for type ${envelope.data.type} version ${envelope.data.schemaVersion}`,
        },
      };
    }
    return { envelope: envelope.data as EventEnvelope<unknown> };
  }

  private async runWithRetries(
    handler: EventHandler<MessageContract>,
    envelope: EventEnvelope<unknown>,
    context: MessageContext,
    message: KafkaMessage,
  ): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await handler(envelope as never, context);
        return;
      } catch (error) {
        if (error instanceof PermanentMessageError) {
          await this.sendToDeadLetter(message, context, error.reasonCode, error.message);
          return;
        }
        if (attempt >= this.options.maxAttempts && error instanceof MissingReferenceError) {
          await this.sendToDeadLetter(message, context, error.reasonCode, error.message);
          return;
        }
        if (attempt >= this.options.maxAttempts) {
          this.logger.error(
            `handling ${envelope.type} event ${envelope.eventId} failed ${attempt} times; leaving it to kafkajs to retry: ${String(error)}`,
          );
          throw error;
        }
        const delayMs = Math.min(5_000, 200 * 2 ** (attempt - 1));
        this.logger.warn(
          `handling ${envelope.type} event ${envelope.eventId} failed (attempt ${attempt}/${this.options.maxAttempts}); retrying in ${delayMs} ms: ${String(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await context.heartbeat();
      }
    }
  }

  private async sendToDeadLetter(
    message: KafkaMessage,
    context: MessageContext,
    reasonCode: string,
    reason: string,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (value !== undefined) {
        headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
      }
    }
    headers[HEADERS.deadLetterReason] = `${reasonCode}: ${reason}`.slice(0, 2_000);
    headers[HEADERS.deadLetterSource] = `${context.topic}:${context.partition}:${context.offset}`;

    await this.deadLetterPublisher.publish([
      {
        topic: this.deadLetterTopicName,
        key: message.key?.toString('utf8') ?? '',
        value: message.value?.toString('utf8') ?? '',
        headers,
      },
    ]);
    this.logger.warn(
      `sent ${context.topic}:${context.partition}:${context.offset} to ${this.deadLetterTopicName} (${reasonCode}): ${reason}`,
    );
    this.deadLetterListener?.({ groupId: this.options.groupId, ...context, reasonCode, reason });
  }
}
