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

/**
 * Handles several events of one type at once, in one round trip where it can.
 * It receives at most one event per request, so it never has to order two
 * events of the same request. It must be idempotent per event, like every
 * handler: when it throws, each event is handled again on its own.
 */
export type BatchEventHandler<TContract extends MessageContract> = (
  envelopes: Array<EventEnvelope<PayloadOf<TContract>>>,
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

interface RegisteredHandler {
  contract: MessageContract;
  handler: EventHandler<MessageContract>;
  batch?: BatchEventHandler<MessageContract>;
}

type CheckedMessage =
  | { kind: 'valid'; registered: RegisteredHandler; envelope: EventEnvelope<unknown> }
  | { kind: 'rejected'; code: string; reason: string }
  | { kind: 'ignored' };

interface IncomingMessage {
  message: KafkaMessage;
  parsed: ParsedMessage;
  /** The outcome of `check`, kept once a round has checked the message. */
  checked?: CheckedMessage;
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
  private readonly handlers = new Map<string, RegisteredHandler>();
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

  /**
   * Registers a handler that takes the events of one fetched batch together
   * (see `BatchEventHandler`). A single event goes to it as a batch of one.
   */
  onBatch<TContract extends MessageContract>(contract: TContract, handler: BatchEventHandler<TContract>): this {
    const batch = handler as unknown as BatchEventHandler<MessageContract>;
    this.handlers.set(`${contract.type}@${contract.version}`, {
      contract,
      handler: (envelope, context) => batch([envelope], context),
      batch,
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

  /**
   * Handles one partition's batch and resolves the offsets of the handled
   * prefix. The messages of one request form a lane, handled in order,
   * and lanes run side by side. When this group has batch handlers, the batch
   * goes in rounds instead: the first message of every lane, then the
   * second, and so on. The events of one type in a round go to their batch
   * handler together, so a round has at most one event per request.
   */
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
    const stopped = () => failure !== undefined || !isRunning() || isStale();
    const contextOf = (incoming: IncomingMessage): MessageContext => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: incoming.message.offset,
      heartbeat,
    });
    const handleOne = async (incoming: IncomingMessage) => {
      if (stopped()) {
        return;
      }
      try {
        await this.handleMessage(incoming, contextOf(incoming));
        handled.add(incoming.message.offset);
      } catch (error) {
        failure ??= { error };
      }
    };
    /** Handles messages of different requests side by side. */
    const handleEach = (messages: IncomingMessage[]) => this.inLanes(messages, handleOne);

    const queues = [...lanes.values()];
    if (![...this.handlers.values()].some((registered) => registered.batch)) {
      await this.inLanes(queues, async (queue) => {
        for (const incoming of queue) {
          await handleOne(incoming);
          if (stopped()) {
            return;
          }
          await heartbeat();
        }
      });
    } else {
      for (let round = 0; !stopped(); round += 1) {
        const heads = queues.filter((queue) => queue.length > round).map((queue) => queue[round]);
        if (heads.length === 0) {
          break;
        }
        const { groups, singles } = this.groupForBatches(heads);
        await Promise.all([
          handleEach(singles),
          ...[...groups].map(async ([registered, members]) => {
            if (stopped()) {
              return;
            }
            if (await this.tryBatch(registered, members, contextOf(members[0].incoming))) {
              members.forEach((member) => handled.add(member.incoming.message.offset));
            } else {
              await handleEach(members.map((member) => member.incoming));
            }
          }),
        ]);
        await heartbeat();
      }
    }

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

  /** Runs `work` for each item, at most `lanesPerBatch` at a time. */
  private async inLanes<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const workers = Array.from({ length: Math.min(this.options.lanesPerBatch ?? 4, items.length) }, async () => {
      while (next < items.length) {
        await work(items[next++]);
      }
    });
    await Promise.all(workers);
  }

  /**
   * Splits a round into the valid events of each batch handler (two or
   * more of them) and the messages to handle one by one.
   */
  private groupForBatches(heads: IncomingMessage[]): {
    groups: Map<RegisteredHandler, Array<{ incoming: IncomingMessage; envelope: EventEnvelope<unknown> }>>;
    singles: IncomingMessage[];
  } {
    const groups = new Map<RegisteredHandler, Array<{ incoming: IncomingMessage; envelope: EventEnvelope<unknown> }>>();
    const singles: IncomingMessage[] = [];
    for (const incoming of heads) {
      const checked = this.check(incoming.parsed);
      incoming.checked = checked;
      if (checked.kind === 'valid' && checked.registered.batch) {
        const members = groups.get(checked.registered) ?? [];
        members.push({ incoming, envelope: checked.envelope });
        groups.set(checked.registered, members);
      } else {
        singles.push(incoming);
      }
    }
    for (const [registered, members] of groups) {
      if (members.length === 1) {
        groups.delete(registered);
        singles.push(members[0].incoming);
      }
    }
    return { groups, singles };
  }

  /** Hands the events to their batch handler once. Returns false when it threw, so each is then handled on its own, with retries and dead letters. */
  private async tryBatch(
    registered: RegisteredHandler,
    members: Array<{ envelope: EventEnvelope<unknown> }>,
    context: MessageContext,
  ): Promise<boolean> {
    try {
      await registered.batch?.(members.map((member) => member.envelope) as never, context);
      return true;
    } catch (error) {
      this.logger.warn(`handling ${members.length} ${registered.contract.type} events together failed; handling each on its own: ${String(error)}`);
      return false;
    }
  }

  private async handleMessage({ message, parsed, checked = this.check(parsed) }: IncomingMessage, context: MessageContext): Promise<void> {
    if (checked.kind === 'rejected') {
      await this.sendToDeadLetter(message, context, checked.code, checked.reason);
    } else if (checked.kind === 'valid') {
      await this.runWithRetries(checked.registered.handler, checked.envelope, context, message);
    }
  }

  /** Checks a parsed message against its contract: valid with its handler, rejected with a reason, or of a type this group ignores. */
  private check(parsed: ParsedMessage): CheckedMessage {
    if ('rejection' in parsed) {
      return { kind: 'rejected', ...parsed.rejection };
    }
    const registered = this.handlers.get(`${parsed.envelope.type}@${parsed.envelope.schemaVersion}`);
    if (!registered) {
      return { kind: 'ignored' };
    }
    const payload = registered.contract.schema.safeParse(parsed.envelope.payload);
    if (!payload.success) {
      const reason = payload.error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`).join('; ');
      return { kind: 'rejected', code: 'invalid_payload', reason: `${parsed.envelope.type}: ${reason}` };
    }
    return { kind: 'valid', registered, envelope: { ...parsed.envelope, payload: payload.data } as EventEnvelope<unknown> };
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
