import { purgeProgressV1 } from '@deletion/contracts';
import { TestEnvironment, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { EventConsumer } from './event-consumer';
import { EventPublisher } from './event-publisher';
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
});
