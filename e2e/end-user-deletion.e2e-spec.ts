import { TOPICS } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import {
  TestEnvironment,
  TopicRecorder,
  consecutiveDays,
  findAccount,
  findWorkspace,
  publishDirectory,
  readArchive,
  seedArchive,
  signDevelopmentToken,
  standardDirectory,
  waitFor,
} from '@deletion/testing';
import { ApiClient } from './support/api-client';
import { waitForDirectory } from './support/directory-ready';
import { RunningPlatform, startPlatform } from './support/platform';
import { seedAreaRows } from './support/seed-area-rows';

/** End-user deletion and suppression: every area deletes the subjects in one workspace, and the archive is rewritten without them. */
describe('end-user deletion and suppression', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  let platform: RunningPlatform;
  let recorder: TopicRecorder;
  let ada: ApiClient;

  const acme = () => findWorkspace(fixture, 'acme');
  const acmeEu = () => findWorkspace(fixture, 'acme-eu');
  const waitForStatus = (id: string, status: string) =>
    waitFor(
      async () => {
        const response = await ada.get(`/v1/deletion-requests/${id}`);
        return response.body.status === status ? response.body : undefined;
      },
      { description: `request ${id} to become ${status}`, timeoutMs: 60_000 },
    );
  const eventsOf = async (workspaceId: string, userIds: string[]) => {
    const objects = await readArchive(env.s3, env.bucket, `${workspaceId}/`);
    const events = [...objects.values()].flat();
    return { objects, total: events.length, matching: events.filter((event) => userIds.includes(event.userId ?? '')).length };
  };
  const profileUsers = async (workspaceId: string) =>
    (await env.query<{ user_id: string }>('SELECT user_id FROM area_profiles.profiles WHERE workspace_id = $1', [workspaceId])).map((row) => row.user_id);

  beforeAll(async () => {
    await env.start();
    recorder = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [TOPICS.purgeDue, TOPICS.suppressionChanged]);
    await recorder.start();
    platform = await startPlatform(env.env());
    ada = new ApiClient(platform.intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id));

    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);

    for (const workspace of [acme(), acmeEu()]) {
      await seedArchive(env.s3, env.bucket, {
        workspaceId: workspace.id,
        sourceId: workspace.sources[0].id,
        days: consecutiveDays('2024-04-01', 2),
        objectsPerDay: 6,
        usersPerObject: 4,
      });
      await seedAreaRows(env, workspace.id, 20);
    }
  });

  afterAll(async () => {
    await recorder?.stop();
    await platform?.stop();
    await env.dispose();
  });

  describe('rejections', () => {
    it('rejects an empty subject list', async () => {
      const response = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: [] });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('subjects');
    });

    it('rejects more than 5,000 subjects stating the limit', async () => {
      const subjects = Array.from({ length: 5_001 }, (_, index) => `u-${index}`);
      const response = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects });
      expect(response.status).toBe(400);
      expect(response.body.detail).toContain('5000');
    });

    it('rejects an unknown regulation', async () => {
      const response = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'forget', subjectType: 'userId', subjects: ['u-1'] });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('regulation');
    });

    it('rejects a member', async () => {
      const bob = ada.as(signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'bob@acme.test').id));
      const response = await bob.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['user-1'] });
      expect(response.status).toBe(403);
    });
  });

  describe('deleting two users of acme', () => {
    const targets = ['user-3', 'user-7'];
    let before: Awaited<ReturnType<typeof eventsOf>>;
    let otherBefore: Awaited<ReturnType<typeof eventsOf>>;
    let requestId: string;

    it('completes without a grace period', async () => {
      before = await eventsOf(acme().id, targets);
      otherBefore = await eventsOf(acmeEu().id, targets);
      expect(before.matching).toBeGreaterThan(0);

      const created = await ada.post('/v1/deletion-requests', {
        kind: 'user',
        workspace: 'acme',
        regulation: 'delete',
        subjectType: 'userId',
        subjects: [...targets, 'user-3'],
      });
      expect(created.status).toBe(202);
      expect(created.body.graceEndsAt).toBeNull();
      expect(created.body.cancellable).toBe(false);
      requestId = created.body.id;

      const completed = await waitForStatus(requestId, 'completed');
      const areas = Object.fromEntries(completed.areas.map((area: { area: string; counts: unknown }) => [area.area, area.counts]));
      expect(areas.archive.events).toBe(before.matching);
      expect(areas.profiles).toEqual({ rows: 2 });
      expect(areas.audiences).toEqual({ memberships: 2 });
    });

    it('rewrote the archive without their events only', async () => {
      const after = await eventsOf(acme().id, targets);
      expect(after.matching).toBe(0);
      expect(after.total).toBe(before.total - before.matching);
    });

    it('kept every other workspace intact', async () => {
      const other = await eventsOf(acmeEu().id, targets);
      expect(other.total).toBe(otherBefore.total);
      expect(other.matching).toBe(otherBefore.matching);
      expect(await profileUsers(acmeEu().id)).toEqual(expect.arrayContaining(targets));
    });

    it('deleted their rows and no others', async () => {
      const remaining = await profileUsers(acme().id);
      expect(remaining).toHaveLength(18);
      expect(remaining).not.toEqual(expect.arrayContaining(['user-3']));
      expect(remaining).not.toEqual(expect.arrayContaining(['user-7']));
    });
  });

  it('completes with zero counts for a subject without data', async () => {
    const created = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['ghost'] });
    const completed = await waitForStatus(created.body.id, 'completed');
    for (const area of completed.areas) {
      expect(Object.values(area.counts).every((count) => count === 0)).toBe(true);
    }
  });

  describe('suppression', () => {
    it('suppresses and deletes', async () => {
      const created = await ada.post('/v1/deletion-requests', {
        kind: 'user',
        workspace: 'acme',
        regulation: 'suppress_with_delete',
        subjectType: 'userId',
        subjects: ['user-11'],
      });
      expect(created.status).toBe(202);
      await waitForStatus(created.body.id, 'completed');

      const list = (await ada.get('/v1/workspaces/acme/suppressions')).body;
      expect(list.items.map((item: { subject: string }) => item.subject)).toEqual(['user-11']);
      expect(await profileUsers(acme().id)).not.toContain('user-11');
    });

    it('suppresses only, without a purge', async () => {
      const created = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'suppress', subjectType: 'anonymousId', subjects: ['anon-1'] });
      expect(created.status).toBe(202);
      expect(created.body.status).toBe('completed');
      expect(recorder.ofType('purge.due', created.body.id)).toHaveLength(0);
      expect(await profileUsers(acme().id)).toHaveLength(17);

      const list = (await ada.get('/v1/workspaces/acme/suppressions')).body;
      expect(list.items).toHaveLength(2);
      const mail = await waitFor(() => env.smtp.to('ada@acme.test').find((message) => message.text.includes(created.body.id)), {
        description: 'the suppression email',
      });
      expect(mail.subject).toBe('Suppression list changed in workspace acme');
      expect(mail.text).toContain('No data was deleted');
    });

    it('unsuppresses', async () => {
      const created = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'unsuppress', subjectType: 'userId', subjects: ['user-11'] });
      expect(created.body.status).toBe('completed');
      const list = (await ada.get('/v1/workspaces/acme/suppressions')).body;
      expect(list.items.map((item: { subject: string }) => item.subject)).toEqual(['anon-1']);
    });

    it('publishes every change for ingestion', async () => {
      const changes = await waitFor(() => (recorder.ofType('suppression.changed').length === 3 ? recorder.ofType('suppression.changed') : undefined), {
        description: 'three suppression changes',
      });
      expect(changes.map((message) => message.envelope?.payload.change)).toEqual(['suppressed', 'suppressed', 'unsuppressed']);
      expect(changes.every((message) => message.key === acme().id)).toBe(true);
    });

    it('hides the list from a member', async () => {
      const bob = ada.as(signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'bob@acme.test').id));
      expect((await bob.get('/v1/workspaces/acme/suppressions')).status).toBe(403);
    });
  });
});
