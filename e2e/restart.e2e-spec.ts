import { EventPublisher } from '@deletion/kafka';
import {
  TestEnvironment,
  consecutiveDays,
  countObjects,
  findAccount,
  findWorkspace,
  publishDirectory,
  seedArchive,
  signDevelopmentToken,
  standardDirectory,
  waitFor,
} from '@deletion/testing';
import { ApiClient } from './support/api-client';
import { waitForDirectory } from './support/directory-ready';
import { RunningPlatform, startPlatform } from './support/platform';
import { countAreaRows, seedAreaRows } from './support/seed-area-rows';

/** A request accepted with 202 survives every service going down during its grace period. */
describe('grace timers across a restart of every service', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  let platform: RunningPlatform | undefined;

  beforeAll(async () => {
    await env.start();
    platform = await startPlatform(env.env({ GRACE_PERIOD: '5s' }));
    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);
  });

  afterAll(async () => {
    await platform?.stop();
    await env.dispose();
  });

  it('fires the timer after the restart, never early, and completes', async () => {
    const globex = findWorkspace(fixture, 'globex');
    await seedArchive(env.s3, env.bucket, {
      workspaceId: globex.id,
      sourceId: globex.sources[0].id,
      days: consecutiveDays('2024-05-01', 2),
      objectsPerDay: 5,
      usersPerObject: 2,
    });
    await seedAreaRows(env, globex.id, 12);

    const token = signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'gil@globex.test').id);
    const created = await new ApiClient((platform as RunningPlatform).intake.url, token).post('/v1/deletion-requests', {
      kind: 'workspace',
      workspace: 'globex',
    });
    expect(created.status).toBe(202);
    const requestId: string = created.body.id;
    await waitFor(
      async () => {
        const [timer] = await env.query<{ state: string }>('SELECT state FROM scheduler.grace_timers WHERE request_id = $1', [requestId]);
        return timer?.state === 'pending';
      },
      { description: 'the grace timer to be armed' },
    );

    await (platform as RunningPlatform).stop();
    platform = undefined;
    const graceEndsAt = Date.parse(created.body.graceEndsAt);
    await waitFor(async () => Date.now() > graceEndsAt + 1_000, { description: 'the grace period to pass while everything is down', timeoutMs: 20_000 });
    expect(await countObjects(env.s3, env.bucket, `${globex.id}/`)).toBe(10);

    platform = await startPlatform(env.env({ GRACE_PERIOD: '5s' }));
    const api = new ApiClient(platform.intake.url, token);
    const completed = await waitFor(
      async () => {
        const response = await api.get(`/v1/deletion-requests/${requestId}`);
        return response.body.status === 'completed' ? response.body : undefined;
      },
      { description: 'the request to complete after the restart', timeoutMs: 60_000 },
    );

    const [timer] = await env.query<{ fired_at: Date; grace_ends_at: Date }>(
      'SELECT fired_at, grace_ends_at FROM scheduler.grace_timers WHERE request_id = $1',
      [requestId],
    );
    expect(timer.fired_at.getTime()).toBeGreaterThanOrEqual(timer.grace_ends_at.getTime());
    expect(completed.receipt).toHaveLength(3);
    expect(await countObjects(env.s3, env.bucket, `${globex.id}/`)).toBe(0);
    expect(await countAreaRows(env, globex.id)).toEqual({ profiles: 0, audiences: 0 });
  });
});
