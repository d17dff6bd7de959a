import { loadConfig } from '@deletion/config';
import { TOPICS, purgeDueV1 } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import { TestEnvironment, TopicRecorder, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { productAreaTablesMigration } from './product-area-tables.sql';
import { RunningProductArea, productAreaConfigSchema, startProductArea } from './start-product-area';

/**
 * An area with one purge slot and a poll interval of an hour. A `purge.due`
 * that finds the slot free starts at once. One that finds it taken starts
 * when the slot frees, without waiting for the poll.
 */
describe('product area runner with one purge slot', () => {
  const env = new TestEnvironment();
  const workspaceId = randomUUID();
  const started: string[] = [];
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  let area: RunningProductArea;
  let publisher: EventPublisher;
  let progress: TopicRecorder;

  const task = async (requestId: string) =>
    (await env.query<{ status: string; attempts: number }>('SELECT status, attempts FROM area_gated.purge_tasks WHERE request_id = $1', [requestId]))[0];
  const order = (requestId: string) =>
    publisher.publish(
      purgeDueV1,
      { requestId, kind: 'user', workspaceId, scope: { type: 'subjects', subjectType: 'userId', subjects: ['user-1'] }, deadline: new Date(Date.now() + 86_400_000).toISOString() },
      { key: workspaceId, requestId, workspaceId },
    );

  beforeAll(async () => {
    await env.start();
    area = await startProductArea({
      area: {
        name: 'gated',
        kinds: ['user'],
        transactional: false,
        async purge(job) {
          started.push(job.requestId);
          await gate;
          return { rows: 1 };
        },
      },
      schema: 'area_gated',
      migrations: [productAreaTablesMigration('area_gated')],
      config: loadConfig(productAreaConfigSchema, env.env({ AREA_CONCURRENCY: '1', AREA_POLL_INTERVAL: '1h' })),
    });
    publisher = new EventPublisher(env.kafka, env.topicPrefix);
    progress = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [TOPICS.purgeProgress]);
    await progress.start();
  });

  afterAll(async () => {
    openGate();
    await progress?.stop();
    await publisher?.disconnect();
    await area?.close();
    await env.dispose();
  });

  it('starts at receipt, then when the slot frees', async () => {
    const first = randomUUID();
    const second = randomUUID();
    await order(first);
    await waitFor(() => started.length === 1, { description: 'the first purge to start', timeoutMs: 20_000 });
    await order(second);
    await waitFor(async () => (await task(second))?.status === 'pending', { description: 'the second task to be recorded', timeoutMs: 20_000 });

    expect(started).toEqual([first]);
    expect(await task(first)).toEqual({ status: 'running', attempts: 1 });
    const running = await waitFor(
      () => progress.messages.find((message) => message.envelope?.requestId === first),
      { description: 'the first purge running progress', timeoutMs: 20_000 },
    );
    expect(running.envelope?.payload).toMatchObject({ area: 'gated', status: 'running', attempt: 1 });

    openGate();
    await waitFor(async () => (await task(second))?.status === 'succeeded', { description: 'the second purge to succeed', timeoutMs: 20_000 });
    expect(started).toEqual([first, second]);
    expect(await task(first)).toEqual({ status: 'succeeded', attempts: 1 });
    expect(await task(second)).toEqual({ status: 'succeeded', attempts: 1 });
  });
});
