import { TOPICS, purgeCompletedV1, purgeDueV1 } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import { TestEnvironment, TopicRecorder, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { RunningExecutor, startExecutor } from '../executor.app';
import { loadExecutorConfig } from '../executor.config';

const AREAS = ['profiles', 'audiences'] as const;

/** The purge tracker against Kafka and PostgreSQL, fed with the events the other services would publish. */
describe('purge tracker', () => {
  const env = new TestEnvironment();
  let executor: RunningExecutor;
  let recorder: TopicRecorder;
  let publisher: EventPublisher;

  const newPurge = () => ({ requestId: randomUUID(), workspaceId: randomUUID() });
  const purgeDue = (purge: { requestId: string; workspaceId: string }, eventId?: string) =>
    publisher.publish(
      purgeDueV1,
      { ...purge, kind: 'user', scope: { type: 'subjects', subjectType: 'userId', subjects: ['user-1'] }, deadline: new Date(Date.now() + 86_400_000).toISOString() },
      { key: purge.workspaceId, requestId: purge.requestId, workspaceId: purge.workspaceId, eventId },
    );
  const acknowledge = (purge: { requestId: string; workspaceId: string }, area: string, eventId?: string) =>
    publisher.publish(
      purgeCompletedV1,
      { ...purge, area, status: 'succeeded', counts: { rows: 1 }, attempt: 1, error: null, completedAt: new Date().toISOString() },
      { key: purge.workspaceId, requestId: purge.requestId, workspaceId: purge.workspaceId, eventId },
    );
  /** Leaves the state a crash leaves after the statement that records a last acknowledgement and before the purge is finished. */
  const storeUnfinishedPurge = async (purge: { requestId: string; workspaceId: string }, handledEventId: string) => {
    await env.query(`INSERT INTO executor.purges (request_id, workspace_id, kind, status, deadline) VALUES ($1, $2, 'user', 'purging', now() + interval '1 day')`, [
      purge.requestId,
      purge.workspaceId,
    ]);
    for (const area of AREAS) {
      await env.query(`INSERT INTO executor.purge_areas (request_id, area, status, counts, acknowledged_at) VALUES ($1, $2, 'succeeded', '{"rows": 1}', now())`, [
        purge.requestId,
        area,
      ]);
    }
    await env.query('INSERT INTO executor.inbox (consumer, event_id) VALUES ($1, $2)', [executor.runtime.groupId(), handledEventId]);
  };
  const completions = (requestId: string) => recorder.ofType('deletion.completed', requestId);
  const purgeStatus = async (requestId: string) =>
    (await env.query<{ status: string }>('SELECT status FROM executor.purges WHERE request_id = $1', [requestId]))[0]?.status;

  beforeAll(async () => {
    await env.start();
    recorder = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [TOPICS.deletionCompleted, TOPICS.purgeStarted]);
    await recorder.start();
    executor = await startExecutor(loadExecutorConfig(env.env({ PURGE_AREAS: AREAS.join(',') })));
    publisher = new EventPublisher(env.kafka, env.topicPrefix);
  });

  afterAll(async () => {
    await recorder?.stop();
    await publisher?.disconnect();
    await executor?.close();
    await env.dispose();
  });

  it('completes a purge acknowledged before it was due', async () => {
    const purge = newPurge();
    for (const area of AREAS) {
      await acknowledge(purge, area);
    }
    await waitFor(
      async () => (await env.query('SELECT 1 FROM executor.purge_areas WHERE request_id = $1', [purge.requestId])).length === AREAS.length,
      { description: 'both acknowledgements to be stored' },
    );

    await purgeDue(purge);

    await waitFor(() => completions(purge.requestId).length === 1, { description: 'deletion.completed' });
    expect(completions(purge.requestId)[0].envelope?.payload).toMatchObject({ outcome: 'completed' });
    expect(await purgeStatus(purge.requestId)).toBe('completed');
    expect(recorder.ofType('purge.started', purge.requestId)).toHaveLength(1);
  });

  it('starts a purge once when purge.due is delivered twice', async () => {
    const purge = newPurge();
    const eventId = randomUUID();
    await purgeDue(purge, eventId);
    await purgeDue(purge, eventId);
    await waitFor(() => recorder.ofType('purge.started', purge.requestId).length === 1, { description: 'purge.started' });

    for (const area of AREAS) {
      await acknowledge(purge, area);
    }

    await waitFor(() => completions(purge.requestId).length === 1, { description: 'deletion.completed' });
    expect(await purgeStatus(purge.requestId)).toBe('completed');
    expect(recorder.ofType('purge.started', purge.requestId)).toHaveLength(1);
  });

  it('finishes a purge when purge.due comes again after a crash', async () => {
    const purge = newPurge();
    const eventId = randomUUID();
    await storeUnfinishedPurge(purge, eventId);

    await purgeDue(purge, eventId);

    await waitFor(() => completions(purge.requestId).length === 1, { description: 'deletion.completed' });
    expect(await purgeStatus(purge.requestId)).toBe('completed');
  });

  it('finishes a purge when an acknowledgement comes again after a crash', async () => {
    const purge = newPurge();
    const eventId = randomUUID();
    await storeUnfinishedPurge(purge, eventId);

    await acknowledge(purge, AREAS[1], eventId);

    await waitFor(() => completions(purge.requestId).length === 1, { description: 'deletion.completed' });
    expect(await purgeStatus(purge.requestId)).toBe('completed');
  });

  it('publishes deletion.completed once for repeated acknowledgements', async () => {
    const purge = newPurge();
    await purgeDue(purge);
    await waitFor(() => recorder.ofType('purge.started', purge.requestId).length === 1, { description: 'purge.started' });

    const eventIds: string[] = [];
    for (const area of [...AREAS, ...AREAS]) {
      eventIds.push(await acknowledge(purge, area));
    }
    await waitFor(() => completions(purge.requestId).length === 1, { description: 'deletion.completed' });
    await waitFor(async () => (await env.query('SELECT 1 FROM executor.inbox WHERE event_id = ANY($1::uuid[])', [eventIds])).length === eventIds.length, {
      description: 'every acknowledgement to be handled',
    });
    await waitFor(async () => (await env.query('SELECT 1 FROM executor.outbox')).length === 0, { description: 'the outbox to be published' });
    // Time for a second deletion.completed, had one been published, to reach the recorder.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    expect(completions(purge.requestId)).toHaveLength(1);
  });

  it('builds the receipt from every acknowledgement', async () => {
    const purge = newPurge();
    await purgeDue(purge);
    await waitFor(() => recorder.ofType('purge.started', purge.requestId).length === 1, { description: 'purge.started' });
    const error = { code: 'unavailable', message: 'the CRM is unavailable', permanent: true };
    await publisher.publish(
      purgeCompletedV1,
      { ...purge, area: 'audiences', status: 'failed', counts: { audiences: 2 }, attempt: 5, error, completedAt: new Date().toISOString() },
      { key: purge.workspaceId, requestId: purge.requestId, workspaceId: purge.workspaceId },
    );
    await waitFor(
      async () => (await env.query("SELECT 1 FROM executor.purge_areas WHERE request_id = $1 AND status = 'failed'", [purge.requestId])).length === 1,
      { description: 'the failed acknowledgement to be stored' },
    );

    await acknowledge(purge, 'profiles');

    await waitFor(() => completions(purge.requestId).length === 1, { description: 'deletion.completed' });
    const payload = completions(purge.requestId)[0].envelope?.payload;
    expect(payload?.outcome).toBe('failed');
    expect(payload?.receipt).toEqual([
      { area: 'audiences', status: 'failed', counts: { audiences: 2 }, error: 'the CRM is unavailable' },
      { area: 'profiles', status: 'succeeded', counts: { rows: 1 }, error: null },
    ]);
    expect(await purgeStatus(purge.requestId)).toBe('failed');
  });

  it('tracks a burst of purges', async () => {
    // One workspace, so each burst lands in one partition and reaches the tracker in one fetch.
    const workspaceId = randomUUID();
    const purges = Array.from({ length: 4 }, () => ({ requestId: randomUUID(), workspaceId }));
    const deadline = new Date(Date.now() + 86_400_000).toISOString();
    const scope = { type: 'subjects' as const, subjectType: 'userId' as const, subjects: ['user-1'] };
    await publisher.publishAll(
      purgeDueV1,
      purges.map((purge) => ({ payload: { ...purge, kind: 'user' as const, scope, deadline }, key: workspaceId, requestId: purge.requestId, workspaceId })),
    );
    await waitFor(() => purges.every((purge) => recorder.ofType('purge.started', purge.requestId).length === 1), { description: 'four purge.started' });

    for (const area of AREAS) {
      await publisher.publishAll(
        purgeCompletedV1,
        purges.map((purge, index) => ({
          payload: { ...purge, area, status: 'succeeded' as const, counts: { rows: index }, attempt: 1, error: null, completedAt: new Date().toISOString() },
          key: workspaceId,
          requestId: purge.requestId,
          workspaceId,
        })),
      );
    }

    await waitFor(() => purges.every((purge) => completions(purge.requestId).length === 1), { description: 'four deletion.completed' });
    purges.forEach((purge, index) => {
      expect(completions(purge.requestId)[0].envelope?.payload).toMatchObject({
        outcome: 'completed',
        receipt: AREAS.map((area) => ({ area, counts: { rows: index } })).sort((left, right) => (left.area < right.area ? -1 : 1)),
      });
    });
    const statuses = await env.query<{ status: string }>('SELECT status FROM executor.purges WHERE request_id = ANY($1::uuid[])', [purges.map((purge) => purge.requestId)]);
    expect(statuses.map((row) => row.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });
});
