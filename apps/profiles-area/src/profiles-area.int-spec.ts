import { TOPICS, deadLetterTopic, purgeCompletedV1, purgeDueV1 } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import { RunningProductArea } from '@deletion/product-area-sdk';
import { TestEnvironment, TopicRecorder, stableUuid, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { consumerGroupLag } from '../../../e2e/support/consumer-lag';
import { startProfilesArea } from '../../../e2e/support/platform';

/**
 * A malformed purge order goes to the area's dead-letter topic with its
 * reason and never reaches the delete. The next order on the same partition
 * is handled as usual.
 */
describe('profiles area with a malformed purge.due', () => {
  const env = new TestEnvironment();
  const workspaceA = stableUuid('workspace:dlt-a');
  const workspaceB = stableUuid('workspace:dlt-b');
  let area: RunningProductArea;
  let publisher: EventPublisher;
  let recorder: TopicRecorder;

  const profileCount = async (workspaceId: string) =>
    Number((await env.query<{ count: string }>('SELECT count(*) FROM area_profiles.profiles WHERE workspace_id = $1', [workspaceId]))[0].count);

  beforeAll(async () => {
    await env.start();
    area = await startProfilesArea(env.env());
    for (const workspaceId of [workspaceA, workspaceB]) {
      await env.query(
        `INSERT INTO area_profiles.profiles (workspace_id, user_id) SELECT $1, 'user-' || n FROM generate_series(1, 1000) AS n`,
        [workspaceId],
      );
    }
    publisher = new EventPublisher(env.kafka, env.topicPrefix);
    recorder = new TopicRecorder(env.kafka, [deadLetterTopic(area.runner.consumerGroupId), `${env.topicPrefix}${TOPICS.purgeCompleted}`]);
    await recorder.start();
  });

  afterAll(async () => {
    await recorder?.stop();
    await publisher?.disconnect();
    await area?.close();
    await env.dispose();
  });

  it('dead-letters the bad order and purges the good one', async () => {
    const badOrder = {
      eventId: randomUUID(),
      type: purgeDueV1.type,
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      requestId: randomUUID(),
      payload: { requestId: randomUUID(), kind: 'workspace', scope: { type: 'workspace' }, deadline: new Date().toISOString() },
    };
    await publisher.publishRaw(TOPICS.purgeDue, workspaceA, JSON.stringify(badOrder));
    await publisher.publishRaw(TOPICS.purgeDue, workspaceA, 'not json at all');
    const goodRequest = randomUUID();
    await publisher.publish(
      purgeDueV1,
      { requestId: goodRequest, kind: 'workspace', workspaceId: workspaceA, scope: { type: 'workspace' }, deadline: new Date(Date.now() + 86_400_000).toISOString() },
      { key: workspaceA, requestId: goodRequest, workspaceId: workspaceA },
    );

    const ack = await waitFor(() => recorder.ofType(purgeCompletedV1.type, goodRequest)[0], { description: 'the acknowledgement of the good order' });
    expect(ack.envelope?.payload).toMatchObject({ status: 'succeeded', counts: { rows: 1000 } });

    const deadLetters = await waitFor(() => {
      const found = recorder.onTopic(deadLetterTopic(area.runner.consumerGroupId));
      return found.length === 2 ? found : undefined;
    }, { description: 'two dead letters' });
    expect(deadLetters[0].headers['dead-letter-reason']).toContain('workspaceId');
    expect(deadLetters[0].key).toBe(workspaceA);
    expect(deadLetters[1].headers['dead-letter-reason']).toContain('invalid_json');

    expect(await profileCount(workspaceA)).toBe(0);
    expect(await profileCount(workspaceB)).toBe(1000);
    await waitFor(async () => (await consumerGroupLag(env.kafka, area.runner.consumerGroupId, [`${env.topicPrefix}${TOPICS.purgeDue}`])) === 0, {
      description: 'the area consumer to have no lag',
    });
  });

  it('acknowledges a redelivered order once and deletes nothing more', async () => {
    const requestId = randomUUID();
    const order = { requestId, kind: 'workspace' as const, workspaceId: workspaceB, scope: { type: 'workspace' as const }, deadline: new Date(Date.now() + 86_400_000).toISOString() };
    await publisher.publish(purgeDueV1, order, { key: workspaceB, requestId, workspaceId: workspaceB });
    await waitFor(() => recorder.ofType(purgeCompletedV1.type, requestId).length === 1, { description: 'the first acknowledgement' });
    await env.query(`INSERT INTO area_profiles.profiles (workspace_id, user_id) VALUES ($1, 'arrived-later')`, [workspaceB]);

    await publisher.publish(purgeDueV1, order, { key: workspaceB, requestId, workspaceId: workspaceB });
    await waitFor(async () => (await consumerGroupLag(env.kafka, area.runner.consumerGroupId, [`${env.topicPrefix}${TOPICS.purgeDue}`])) === 0, {
      description: 'the redelivered order to be consumed',
    });

    expect(recorder.ofType(purgeCompletedV1.type, requestId)).toHaveLength(1);
    expect(await profileCount(workspaceB)).toBe(1);
  });
});
