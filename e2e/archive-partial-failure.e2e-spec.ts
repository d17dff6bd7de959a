import { S3FaultProxy, TestEnvironment, consecutiveDays, countObjects, findAccount, findWorkspace, publishDirectory, seedArchive, signDevelopmentToken, standardDirectory, waitFor } from '@deletion/testing';
import { EventPublisher } from '@deletion/kafka';
import { startScheduler, RunningScheduler } from '../apps/grace-scheduler/src/scheduler.app';
import { loadSchedulerConfig } from '../apps/grace-scheduler/src/scheduler.config';
import { startExecutor, RunningExecutor } from '../apps/purge-executor/src/executor.app';
import { loadExecutorConfig } from '../apps/purge-executor/src/executor.config';
import { startIntake, RunningIntake } from '../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../apps/request-intake/src/intake.config';
import { ApiClient } from './support/api-client';
import { waitForDirectory } from './support/directory-ready';

/**
 * S3 returns 200 for a DeleteObjects request even when some keys fail. The archive
 * area must not acknowledge such a purge as a success: it reports the
 * failed keys, retries, and acknowledges only once every object is gone.
 */
describe('archive purge with keys S3 fails to delete', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  let proxy: S3FaultProxy;
  let intake: RunningIntake;
  let scheduler: RunningScheduler;
  let executor: RunningExecutor;
  let keys: string[];

  beforeAll(async () => {
    await env.start();
    proxy = new S3FaultProxy(env.components.s3Endpoint, env.s3);
    const proxyEndpoint = await proxy.start();
    const config = env.env({ PURGE_AREAS: 'archive', GRACE_PERIOD: '1s', S3_ENDPOINT: proxyEndpoint, ARCHIVE_PURGE_RETRY_DELAY: '1s' });
    intake = await startIntake(loadIntakeConfig(config));
    scheduler = await startScheduler(loadSchedulerConfig(config));
    executor = await startExecutor(loadExecutorConfig(config));

    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);

    const acme = findWorkspace(fixture, 'acme');
    keys = await seedArchive(env.s3, env.bucket, {
      workspaceId: acme.id,
      sourceId: acme.sources[0].id,
      days: consecutiveDays('2024-03-10', 4),
      objectsPerDay: 250,
      usersPerObject: 1,
      eventsPerUser: 1,
    }, 32);
  });

  afterAll(async () => {
    await Promise.allSettled([intake?.close(), scheduler?.close(), executor?.close()]);
    await proxy?.stop();
    await env.dispose();
  });

  it('fails the attempt, shows the keys, and completes after a successful retry', async () => {
    const acme = findWorkspace(fixture, 'acme');
    const failing = [keys[100], keys[500], keys[900]];
    failing.forEach((key) => proxy.failingKeys.add(key));
    const api = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id));

    const created = await api.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });
    expect(created.status).toBe(202);
    const requestId: string = created.body.id;

    const failedAttempt = await waitFor(
      async () => {
        const response = await api.get(`/v1/deletion-requests/${requestId}`);
        const archive = response.body.areas?.find((area: { area: string }) => area.area === 'archive');
        return archive?.error?.details?.failedCount === 3 ? response.body : undefined;
      },
      { description: 'the archive area to report 3 failed keys', timeoutMs: 60_000 },
    );
    const archive = failedAttempt.areas.find((area: { area: string }) => area.area === 'archive');
    expect(failedAttempt.status).toBe('purging');
    expect(archive.status).not.toBe('succeeded');
    expect(archive.error.code).toBe('archive_objects_not_deleted');
    expect(archive.error.details.failedKeys.map((failure: { key: string }) => failure.key).sort()).toEqual([...failing].sort());
    expect(await countObjects(env.s3, env.bucket, `${acme.id}/`)).toBe(3);

    // Further attempts fail the same way while S3 keeps refusing those keys.
    await waitFor(
      async () => {
        const response = await api.get(`/v1/deletion-requests/${requestId}`);
        return response.body.areas.find((area: { area: string }) => area.area === 'archive').attempts >= 2;
      },
      { description: 'a second archive attempt', timeoutMs: 30_000 },
    );
    expect((await api.get(`/v1/deletion-requests/${requestId}`)).body.status).toBe('purging');

    proxy.failingKeys.clear();
    const completed = await waitFor(
      async () => {
        const response = await api.get(`/v1/deletion-requests/${requestId}`);
        return response.body.status === 'completed' ? response.body : undefined;
      },
      { description: 'the request to complete after the retry', timeoutMs: 60_000 },
    );
    expect(await countObjects(env.s3, env.bucket, `${acme.id}/`)).toBe(0);
    expect(completed.areas[0].counts).toEqual({ objects: 1_000 });
    expect(completed.areas[0].error).toBeNull();
  });
});
