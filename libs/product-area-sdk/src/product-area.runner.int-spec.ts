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
  let gate = new Promise<void>((resolve) => (openGate = resolve));
  const closeGate = () => (gate = new Promise<void>((resolve) => (openGate = resolve)));
  let area: RunningProductArea;
  let publisher: EventPublisher;
  let progress: TopicRecorder;

  const task = async (requestId: string) =>
    (await env.query<{ status: string; attempts: number }>('SELECT status, attempts FROM area_gated.purge_tasks WHERE request_id = $1', [requestId]))[0];
  const job = (requestId: string) => ({
    requestId,
    kind: 'user' as const,
    workspaceId,
    scope: { type: 'subjects' as const, subjectType: 'userId' as const, subjects: ['user-1'] },
    deadline: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const order = (requestId: string) => publisher.publish(purgeDueV1, job(requestId), { key: workspaceId, requestId, workspaceId });

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

  it('starts a burst as slots free', async () => {
    closeGate();
    started.length = 0;
    const burst = [randomUUID(), randomUUID(), randomUUID()];
    // One produce request, so the three orders reach the area in one fetch.
    await publisher.publishAll(
      purgeDueV1,
      burst.map((requestId) => ({ payload: job(requestId), key: workspaceId, requestId, workspaceId })),
    );
    await waitFor(async () => (await Promise.all(burst.map(task))).every(Boolean), { description: 'three recorded tasks', timeoutMs: 20_000 });

    expect(started).toEqual([burst[0]]);
    expect(await Promise.all(burst.map(task))).toEqual([
      { status: 'running', attempts: 1 },
      { status: 'pending', attempts: 0 },
      { status: 'pending', attempts: 0 },
    ]);

    openGate();
    await waitFor(async () => (await Promise.all(burst.map(task))).every((row) => row.status === 'succeeded'), {
      description: 'the three purges to succeed',
      timeoutMs: 20_000,
    });
    expect([...started].sort()).toEqual([...burst].sort());
    expect(await Promise.all(burst.map(task))).toEqual(burst.map(() => ({ status: 'succeeded', attempts: 1 })));
    const running = await waitFor(
      () => {
        const found = burst.map((requestId) => progress.messages.filter((message) => message.envelope?.requestId === requestId));
        return found.every((messages) => messages.length > 0) ? found : undefined;
      },
      { description: 'running progress of each purge', timeoutMs: 20_000 },
    );
    expect(running.map((messages) => messages.map((message) => message.envelope?.payload))).toEqual(
      burst.map(() => [expect.objectContaining({ status: 'running', attempt: 1 })]),
    );
  });
});
