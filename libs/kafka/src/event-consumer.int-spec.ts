import { purgeProgressV1 } from '@deletion/contracts';
import { TestEnvironment, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { EventConsumer } from './event-consumer';
import { EventPublisher } from './event-publisher';
import { PermanentMessageError } from './message-errors';
import { ensureTopics, platformTopicNames } from './topic-provisioner';

describe('EventConsumer on Kafka', () => {
  const env = new TestEnvironment();
  let publisher: EventPublisher;
  let consumer: EventConsumer | undefined;

  const progress = (requestId: string, workspaceId: string, attempt: number) => ({
    requestId,
    workspaceId,
    area: 'profiles',
    status: 'running' as const,
    attempt,
    error: null,
    nextAttemptAt: null,
  });

  beforeAll(async () => {
    await env.start();
    await ensureTopics(env.kafka, platformTopicNames(env.topicPrefix));
    publisher = new EventPublisher(env.kafka, env.topicPrefix);
  });

  afterAll(async () => {
    await consumer?.stop();
    await publisher?.disconnect();
    await env.dispose();
  });

  it('handles requests of one partition side by side, each in order', async () => {
    // One key, so one partition: request A's first event, then B's, then A's second.
    const workspaceId = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    await publisher.publish(purgeProgressV1, progress(first, workspaceId, 1), { key: workspaceId, requestId: first, workspaceId });
    await publisher.publish(purgeProgressV1, progress(second, workspaceId, 1), { key: workspaceId, requestId: second, workspaceId });
    await publisher.publish(purgeProgressV1, progress(first, workspaceId, 2), { key: workspaceId, requestId: first, workspaceId });

    const handled: string[] = [];
    let secondHandled: () => void = () => undefined;
    const secondDone = new Promise<void>((resolve) => (secondHandled = resolve));
    consumer = new EventConsumer(env.kafka, { groupId: `${env.topicPrefix}lanes`, topicPrefix: env.topicPrefix, maxAttempts: 1 });
    consumer.on(purgeProgressV1, async (event) => {
      const name = `${event.payload.requestId === first ? 'A' : 'B'}${event.payload.attempt}`;
      if (name === 'A1') {
        // A1 returns only once B1 is handled, which needs B's lane to run beside A's.
        const waited = await Promise.race([secondDone.then(() => 'B1 seen'), new Promise((resolve) => setTimeout(() => resolve('timed out'), 10_000))]);
        handled.push(`A1 (${waited as string})`);
        return;
      }
      handled.push(name);
      if (name === 'B1') {
        secondHandled();
      }
    });
    await consumer.start();

    await waitFor(async () => handled.length === 3, { description: 'three handled events', timeoutMs: 30_000 });
    expect(handled).toEqual(['B1', 'A1 (B1 seen)', 'A2']);
  });

  describe('with a batch handler', () => {
    /** Publishes events of one workspace (one partition) before the group starts, so one fetch returns them together. */
    const publishAll = async (workspaceId: string, events: Array<[requestId: string, attempt: number]>) => {
      for (const [requestId, attempt] of events) {
        await publisher.publish(purgeProgressV1, progress(requestId, workspaceId, attempt), { key: workspaceId, requestId, workspaceId });
      }
    };

    /** Starts a group whose batch handler records each call by event names, such as "A1,B1", and throws for the request named bad. */
    const startRecording = async (group: string, workspaceId: string, names: Map<string, string>, bad?: string) => {
      await consumer?.stop();
      const calls: string[] = [];
      const applied: string[] = [];
      const deadLetters: string[] = [];
      consumer = new EventConsumer(env.kafka, { groupId: `${env.topicPrefix}${group}`, topicPrefix: env.topicPrefix, maxAttempts: 1 });
      consumer
        .onBatch(purgeProgressV1, async (events) => {
          // Earlier tests' events share the topic; only this workspace's count.
          const own = events.filter((event) => event.payload.workspaceId === workspaceId);
          if (own.length === 0) {
            return;
          }
          const named = own.map((event) => `${names.get(event.payload.requestId)}${event.payload.attempt}`);
          calls.push(named.join(','));
          if (bad && named.some((name) => name.startsWith(bad))) {
            throw named.length === 1 ? new PermanentMessageError('bad_event', `${named[0]} can never be applied`) : new Error('one event of the batch is bad');
          }
          applied.push(...named);
        })
        .onDeadLetter((deadLetter) => deadLetters.push(deadLetter.reason));
      await consumer.start();
      return { calls, applied, deadLetters };
    };

    afterEach(async () => {
      await consumer?.stop();
      consumer = undefined;
    });

    it('batches one event per request, in order', async () => {
      const workspaceId = randomUUID();
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await publishAll(workspaceId, [[a, 1], [b, 1], [a, 2], [c, 1], [a, 3]]);

      const { calls, applied } = await startRecording('batches', workspaceId, new Map([[a, 'A'], [b, 'B'], [c, 'C']]));

      await waitFor(async () => applied.length === 5, { description: 'five applied events', timeoutMs: 30_000 });
      expect(calls).toEqual(['A1,B1,C1', 'A2', 'A3']);
    });

    it('retries a failed batch one event at a time', async () => {
      const workspaceId = randomUUID();
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await publishAll(workspaceId, [[a, 1], [b, 1], [c, 1], [a, 2]]);

      const { calls, applied, deadLetters } = await startRecording('failed-batches', workspaceId, new Map([[a, 'A'], [b, 'B'], [c, 'C']]), 'C');

      await waitFor(async () => applied.length === 3 && deadLetters.length === 1, { description: 'three applied events and one dead letter', timeoutMs: 30_000 });
      expect(calls[0]).toBe('A1,B1,C1');
      expect(calls.slice(1, 4).sort()).toEqual(['A1', 'B1', 'C1']);
      expect(calls.slice(4)).toEqual(['A2']);
      expect(applied.indexOf('A1')).toBeLessThan(applied.indexOf('A2'));
      expect(deadLetters).toEqual(['C1 can never be applied']);
    });
  });
});
