import { TOPICS } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import {
  DirectoryFixture,
  TestEnvironment,
  TopicRecorder,
  consecutiveDays,
  countObjects,
  findAccount,
  findWorkspace,
  publishDirectory,
  seedArchive,
  signDevelopmentToken,
  stableUuid,
  standardDirectory,
  waitFor,
} from '@deletion/testing';
import { ApiClient } from './support/api-client';
import { waitForDirectory } from './support/directory-ready';
import { RunningPlatform, startPlatform } from './support/platform';
import { countAreaRows, seedAreaRows } from './support/seed-area-rows';

const OBJECTS_PER_DAY = 8;
const DAYS = consecutiveDays('2024-03-09', 3);
const USERS_PER_WORKSPACE = 25;

function withInitech(fixture: DirectoryFixture): DirectoryFixture {
  fixture.workspaces.push({
    id: stableUuid('workspace:initech'),
    slug: 'initech',
    name: 'Initech',
    sources: [{ id: stableUuid('source:initech:web'), slug: 'web', name: 'Initech web' }],
  });
  findAccount(fixture, 'gil@globex.test').memberships.push({ workspace: 'initech', role: 'admin' });
  return fixture;
}

describe('workspace deletion end to end', () => {
  const env = new TestEnvironment();
  const fixture = withInitech(standardDirectory());
  let platform: RunningPlatform;
  let recorder: TopicRecorder;
  let api: ApiClient;
  const objectsPerWorkspace = new Map<string, number>();

  const token = (email: string) => {
    const account = findAccount(fixture, email);
    return signDevelopmentToken(env.jwtSecret, account.id, account.operator ? ['operator'] : []);
  };
  const archiveCount = (slug: string) => countObjects(env.s3, env.bucket, `${findWorkspace(fixture, slug).id}/`);
  const waitForStatus = (client: ApiClient, id: string, status: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const response = await client.get(`/v1/deletion-requests/${id}`);
        return response.body.status === status ? response.body : undefined;
      },
      { description: `request ${id} to become ${status}`, timeoutMs },
    );

  beforeAll(async () => {
    await env.start();
    recorder = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [
      TOPICS.purgeDue,
      TOPICS.purgeCompleted,
      TOPICS.deletionCompleted,
      TOPICS.deletionCancelled,
    ]);
    await recorder.start();
    platform = await startPlatform(env.env());
    api = new ApiClient(platform.intake.url);

    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);

    for (const workspace of fixture.workspaces) {
      let keys = 0;
      for (const source of workspace.sources) {
        const seeded = await seedArchive(env.s3, env.bucket, {
          workspaceId: workspace.id,
          sourceId: source.id,
          days: DAYS,
          objectsPerDay: OBJECTS_PER_DAY,
          usersPerObject: 3,
        });
        keys += seeded.length;
      }
      objectsPerWorkspace.set(workspace.slug, keys);
      await seedAreaRows(env, workspace.id, USERS_PER_WORKSPACE);
    }
  });

  afterAll(async () => {
    await recorder?.stop();
    await platform?.stop();
    await env.dispose();
  });

  describe('rejections', () => {
    it('rejects a request without a token', async () => {
      const response = await api.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });
      expect(response.status).toBe(401);
      expect(response.contentType).toContain('application/problem+json');
    });

    it('rejects a member with 403', async () => {
      const response = await api.as(token('bob@acme.test')).post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });
      expect(response.status).toBe(403);
      expect(response.contentType).toContain('application/problem+json');
      expect(response.body.detail).toContain('acme');
    });

    it('rejects an admin of another workspace with 403', async () => {
      const response = await api.as(token('gil@globex.test')).post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });
      expect(response.status).toBe(403);
    });

    it('rejects an unknown workspace with 404', async () => {
      const response = await api.as(token('ada@acme.test')).post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acm' });
      expect(response.status).toBe(404);
      expect(response.body.field).toBe('workspace');
      expect(response.body.detail).toContain('"acm"');
    });

    it('rejects a missing workspace field naming it', async () => {
      const response = await api.as(token('ada@acme.test')).post('/v1/deletion-requests', { kind: 'workspace' });
      expect(response.status).toBe(400);
      expect(response.contentType).toContain('application/problem+json');
      expect(response.body.field).toBe('workspace');
    });

    it('rejects a blank workspace', async () => {
      const response = await api.as(token('ada@acme.test')).post('/v1/deletion-requests', { kind: 'workspace', workspace: '  ' });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('workspace');
    });

    it('rejects an unknown field naming it', async () => {
      const response = await api
        .as(token('ada@acme.test'))
        .post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme', workspaces: ['acme-eu'] });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('workspaces');
    });

    it('rejects an unknown kind naming the field', async () => {
      const response = await api.as(token('ada@acme.test')).post('/v1/deletion-requests', { kind: 'everything', workspace: 'acme' });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('kind');
    });

    it('rejects a body sent as form data', async () => {
      const response = await api.as(token('ada@acme.test')).postRaw('/v1/deletion-requests', 'kind=workspace&workspace=acme', 'application/x-www-form-urlencoded');
      expect(response.status).toBe(415);
      expect(response.body.detail).toContain('Content-Type: application/json');
    });

    it('rejects a body that is not JSON', async () => {
      const response = await api.as(token('ada@acme.test')).postRaw('/v1/deletion-requests', '{"kind": ');
      expect(response.status).toBe(400);
      expect(response.contentType).toContain('application/problem+json');
    });

    it('changes nothing when rejecting', async () => {
      const rows = await env.query<{ count: string }>('SELECT count(*) FROM intake.deletion_requests');
      expect(Number(rows[0].count)).toBe(0);
      expect(recorder.ofType('purge.due')).toHaveLength(0);
    });
  });

  describe('deleting acme', () => {
    let requestId: string;

    it('accepts the request as scheduled with a grace period', async () => {
      const before = Date.now();
      const response = await api.as(token('ada@acme.test')).post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });

      expect(response.status).toBe(202);
      expect(response.body.status).toBe('scheduled');
      expect(response.body.cancellable).toBe(true);
      expect(response.body.workspaceId).toBe(findWorkspace(fixture, 'acme').id);
      const graceEndsAt = Date.parse(response.body.graceEndsAt);
      expect(graceEndsAt).toBeGreaterThanOrEqual(before + 4_000);
      expect(graceEndsAt).toBeLessThan(Date.now() + 4_000 + 1_000);
      expect(Date.parse(response.body.deadline)).toBeGreaterThan(graceEndsAt);
      requestId = response.body.id;
    });

    it('rejects a second request for the same workspace', async () => {
      const response = await api.as(token('ada@acme.test')).post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });
      expect(response.status).toBe(409);
      expect(response.body.requestId).toBe(requestId);
    });

    it('emails every admin of acme and no member', async () => {
      await waitFor(() => env.smtp.to('ada@acme.test').find((mail) => mail.subject.includes('scheduled for deletion')), {
        description: 'the deletion-requested email to ada',
      });
      expect(env.smtp.to('bob@acme.test')).toHaveLength(0);
    });

    it('hides the request from a member', async () => {
      const response = await api.as(token('bob@acme.test')).get(`/v1/deletion-requests/${requestId}`);
      expect(response.status).toBe(404);
    });

    it('completes once every area has acknowledged', async () => {
      const completed = await waitForStatus(api.as(token('ada@acme.test')), requestId, 'completed');

      const areas = Object.fromEntries(completed.areas.map((area: { area: string }) => [area.area, area]));
      expect(Object.keys(areas).sort()).toEqual(['archive', 'audiences', 'profiles']);
      expect(areas.archive.status).toBe('succeeded');
      expect(areas.archive.counts).toEqual({ objects: objectsPerWorkspace.get('acme') });
      expect(areas.profiles.counts).toEqual({ rows: USERS_PER_WORKSPACE });
      expect(areas.audiences.counts).toEqual({ memberships: USERS_PER_WORKSPACE });
      expect(completed.receipt).toHaveLength(3);
      expect(completed.cancellable).toBe(false);
    });

    it('removed every acme object and row', async () => {
      expect(await archiveCount('acme')).toBe(0);
      expect(await countAreaRows(env, findWorkspace(fixture, 'acme').id)).toEqual({ profiles: 0, audiences: 0 });
    });

    it('left acme-eu and globex untouched', async () => {
      for (const slug of ['acme-eu', 'globex']) {
        expect(await archiveCount(slug)).toBe(objectsPerWorkspace.get(slug));
        expect(await countAreaRows(env, findWorkspace(fixture, slug).id)).toEqual({
          profiles: USERS_PER_WORKSPACE,
          audiences: USERS_PER_WORKSPACE,
        });
      }
    });

    it('published purge.due and deletion.completed once', async () => {
      expect(recorder.ofType('purge.due', requestId)).toHaveLength(1);
      await waitFor(() => recorder.ofType('deletion.completed', requestId).length === 1, { description: 'deletion.completed recorded' });
      const [message] = recorder.ofType('purge.due', requestId);
      expect(message.key).toBe(findWorkspace(fixture, 'acme').id);
    });

    it('emails the admins when the deletion completes', async () => {
      const mail = await waitFor(() => env.smtp.to('ada@acme.test').find((candidate) => candidate.subject.includes('has been deleted')), {
        description: 'the deletion-completed email to ada',
      });
      expect(mail.text).toContain(`${objectsPerWorkspace.get('acme')} objects`);
    });

    it('refuses to cancel a completed request', async () => {
      const response = await api.as(token('ada@acme.test')).post(`/v1/deletion-requests/${requestId}/cancel`);
      expect(response.status).toBe(409);
      expect(response.body.status).toBe(409);
      expect(response.body.requestStatus).toBe('completed');
      expect(response.body.code).toBe('purge-begun');
    });
  });

  describe('cancelling acme-eu during grace', () => {
    let requestId: string;

    it('cancels the scheduled request', async () => {
      const admin = api.as(token('ada@acme.test'));
      const created = await admin.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme-eu' });
      expect(created.status).toBe(202);
      requestId = created.body.id;

      const cancelled = await admin.post(`/v1/deletion-requests/${requestId}/cancel`, { reason: 'requested by mistake' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.body.cancellable).toBe(false);
    });

    it('answers a repeated cancel with the cancelled request', async () => {
      const again = await api.as(token('ada@acme.test')).post(`/v1/deletion-requests/${requestId}/cancel`);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('cancelled');
    });

    it('never publishes purge.due and purges nothing', async () => {
      const graceEndsAt = Date.parse((await api.as(token('ada@acme.test')).get(`/v1/deletion-requests/${requestId}`)).body.graceEndsAt);
      await waitFor(async () => Date.now() > graceEndsAt + 2_000, { description: 'the grace period to pass', timeoutMs: 20_000 });
      await waitFor(async () => {
        const [timer] = await env.query<{ state: string }>('SELECT state FROM scheduler.grace_timers WHERE request_id = $1', [requestId]);
        return timer?.state === 'cancelled';
      }, { description: 'the grace timer to be cancelled' });

      expect(recorder.ofType('purge.due', requestId)).toHaveLength(0);
      expect((await api.as(token('ada@acme.test')).get(`/v1/deletion-requests/${requestId}`)).body.status).toBe('cancelled');
      expect(await archiveCount('acme-eu')).toBe(objectsPerWorkspace.get('acme-eu'));
      expect(await countAreaRows(env, findWorkspace(fixture, 'acme-eu').id)).toEqual({
        profiles: USERS_PER_WORKSPACE,
        audiences: USERS_PER_WORKSPACE,
      });
    });

    it('emails the admins that it was cancelled', async () => {
      await waitFor(() => env.smtp.to('ada@acme.test').find((mail) => mail.subject.includes('acme-eu was cancelled')), {
        description: 'the cancelled email to ada',
      });
    });
  });

  describe('cancelling after the grace period', () => {
    it('answers 409 once the purge has begun', async () => {
      const admin = api.as(token('gil@globex.test'));
      const created = await admin.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'initech' });
      expect(created.status).toBe(202);
      const graceEndsAt = Date.parse(created.body.graceEndsAt);
      await waitFor(async () => Date.now() > graceEndsAt, { description: 'the grace period to end', timeoutMs: 20_000 });

      const response = await admin.post(`/v1/deletion-requests/${created.body.id}/cancel`);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('purge-begun');
      expect(response.body.detail).toContain('irreversible');

      await waitForStatus(admin, created.body.id, 'completed');
      expect(await archiveCount('initech')).toBe(0);
      expect(await archiveCount('globex')).toBe(objectsPerWorkspace.get('globex'));
    });
  });
});
