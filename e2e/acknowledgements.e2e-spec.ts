import { TOPICS, purgeCompletedV1 } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import {
  TestEnvironment,
  TopicRecorder,
  findAccount,
  findWorkspace,
  publishDirectory,
  signDevelopmentToken,
  standardDirectory,
  waitFor,
} from '@deletion/testing';
import { startScheduler, RunningScheduler } from '../apps/grace-scheduler/src/scheduler.app';
import { loadSchedulerConfig } from '../apps/grace-scheduler/src/scheduler.config';
import { startNotifier, RunningNotifier } from '../apps/notifier/src/notifier.app';
import { loadNotifierConfig } from '../apps/notifier/src/notifier.config';
import { startExecutor, RunningExecutor } from '../apps/purge-executor/src/executor.app';
import { loadExecutorConfig } from '../apps/purge-executor/src/executor.config';
import { startIntake, RunningIntake } from '../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../apps/request-intake/src/intake.config';
import { ApiClient } from './support/api-client';
import { consumerGroupLag } from './support/consumer-lag';
import { waitForDirectory } from './support/directory-ready';

const FAKE_AREAS = ['web-a', 'web-b', 'web-c', 'web-d', 'web-e', 'web-f', 'web-g'];
const ALL_AREAS = ['archive', ...FAKE_AREAS];

/**
 * Acknowledgements are counted once per (request, area), however often they
 * arrive and whichever executor instance receives them, also across a
 * rebalance of the executors' consumer group.
 */
describe('acknowledgements under redelivery and rebalance', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  const executors: RunningExecutor[] = [];
  let intake: RunningIntake;
  let scheduler: RunningScheduler;
  let notifier: RunningNotifier;
  let recorder: TopicRecorder;
  let publisher: EventPublisher;

  beforeAll(async () => {
    await env.start();
    const config = env.env({ PURGE_AREAS: ALL_AREAS.join(','), GRACE_PERIOD: '1s' });
    recorder = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [TOPICS.deletionCompleted, TOPICS.purgeDue]);
    await recorder.start();
    intake = await startIntake(loadIntakeConfig(config));
    scheduler = await startScheduler(loadSchedulerConfig(config));
    notifier = await startNotifier(loadNotifierConfig(config));
    executors.push(await startExecutor(loadExecutorConfig(config)), await startExecutor(loadExecutorConfig(config)));

    publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await waitForDirectory(env, fixture);
  });

  afterAll(async () => {
    await recorder?.stop();
    await publisher?.disconnect();
    await Promise.allSettled([intake?.close(), scheduler?.close(), notifier?.close(), ...executors.map((executor) => executor.close())]);
    await env.dispose();
  });

  it('counts 8 of 8 areas once despite duplicates and a rebalance', async () => {
    const globex = findWorkspace(fixture, 'globex');
    const gil = findAccount(fixture, 'gil@globex.test');
    const api = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, gil.id));
    const created = await api.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'globex' });
    expect(created.status).toBe(202);
    const requestId: string = created.body.id;
    await waitFor(() => recorder.ofType('purge.due', requestId).length === 1, { description: 'purge.due for globex' });

    const acknowledge = (area: string, rows: number) =>
      publisher.publish(
        purgeCompletedV1,
        {
          requestId,
          workspaceId: globex.id,
          area,
          status: 'succeeded',
          counts: { rows },
          attempt: 1,
          error: null,
          completedAt: new Date().toISOString(),
        },
        { key: globex.id, requestId, workspaceId: globex.id },
      );

    for (const area of FAKE_AREAS.slice(0, 3)) {
      await acknowledge(area, 10);
    }
    // A third executor joins mid-stream, so the group rebalances while acknowledgements arrive.
    const joining = startExecutor(loadExecutorConfig(env.env({ PURGE_AREAS: ALL_AREAS.join(','), GRACE_PERIOD: '1s' })));
    await acknowledge(FAKE_AREAS[3], 10);
    executors.push(await joining);
    for (const area of FAKE_AREAS.slice(4)) {
      await acknowledge(area, 10);
    }
    // Three acknowledgements again, as a redelivering area would send them, with other counts.
    for (const area of FAKE_AREAS.slice(0, 3)) {
      await acknowledge(area, 999);
    }

    const completed = await waitFor(
      async () => {
        const response = await api.get(`/v1/deletion-requests/${requestId}`);
        return response.body.status === 'completed' ? response.body : undefined;
      },
      { description: 'the globex request to complete', timeoutMs: 60_000 },
    );
    await waitFor(async () => (await consumerGroupLag(env.kafka, executors[0].runtime.groupId(), [`${env.topicPrefix}purge.completed`])) === 0, {
      description: 'the executors to consume every acknowledgement',
    });

    expect(completed.areas).toHaveLength(8);
    expect(completed.areas.every((area: { status: string }) => area.status === 'succeeded')).toBe(true);
    for (const area of completed.areas.filter((candidate: { area: string }) => candidate.area !== 'archive')) {
      expect(area.counts).toEqual({ rows: 10 });
    }
    const tracked = await env.query<{ count: string }>("SELECT count(*) FROM executor.purge_areas WHERE request_id = $1 AND status = 'succeeded'", [
      requestId,
    ]);
    expect(Number(tracked[0].count)).toBe(8);
  });

  it('publishes one deletion.completed and sends one email', async () => {
    await waitFor(() => env.smtp.to('gil@globex.test').some((mail) => mail.subject.includes('has been deleted')), {
      description: 'the completion email',
    });
    await waitFor(async () => (await consumerGroupLag(env.kafka, notifier.runtime.groupId(), [`${env.topicPrefix}deletion.completed`])) === 0, {
      description: 'the notifier to consume every deletion.completed',
    });
    expect(recorder.ofType('deletion.completed')).toHaveLength(1);
    expect(env.smtp.to('gil@globex.test').filter((mail) => mail.subject.includes('has been deleted'))).toHaveLength(1);
  });
});
