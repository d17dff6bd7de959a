import { PutObjectCommand } from '@aws-sdk/client-s3';
import { archiveObjectKey, encodeArchiveObject } from '@deletion/archive-layout';
import { workspaceDeletedV1 } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import {
  DEVELOPMENT_PASSWORD,
  DirectoryFixture,
  TestEnvironment,
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

// The services run in a time zone far from UTC: day boundaries must still be UTC.
process.env.TZ = 'Asia/Tokyo';

function extendedDirectory(): DirectoryFixture {
  const fixture = standardDirectory();
  for (const slug of ['initech', 'oldco', 'newco']) {
    fixture.workspaces.push({ id: stableUuid(`workspace:${slug}`), slug, name: slug, sources: [{ id: stableUuid(`source:${slug}:web`), slug: 'web', name: 'web' }] });
  }
  fixture.accounts.push({
    id: stableUuid('account:zed@initech.test'),
    email: 'zed@initech.test',
    name: 'Zed',
    operator: false,
    memberships: [
      { workspace: 'initech', role: 'admin' },
      { workspace: 'globex', role: 'member' },
    ],
  });
  return fixture;
}

describe('operator and account deletions', () => {
  const env = new TestEnvironment();
  const fixture = extendedDirectory();
  let platform: RunningPlatform;
  let publisher: EventPublisher;
  const client = (email: string) => {
    const account = findAccount(fixture, email);
    return new ApiClient(platform.intake.url, signDevelopmentToken(env.jwtSecret, account.id, account.operator ? ['operator'] : []));
  };
  const waitForStatus = (id: string, status: string) =>
    waitFor(
      async () => {
        const response = await client('ops@platform.test').get(`/v1/deletion-requests/${id}`);
        return response.body.status === status ? response.body : undefined;
      },
      { description: `request ${id} to become ${status}`, timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    await env.start();
    platform = await startPlatform(env.env({ GRACE_PERIOD: '3s', PASSWORD_FAILURE_WINDOW: '3s', PASSWORD_MAX_FAILURES: '3' }));
    publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await waitForDirectory(env, fixture);
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await platform?.stop();
    await env.dispose();
  });

  describe('source deletion for one UTC day', () => {
    const instants = [
      '2024-03-09T23:59:59.999Z',
      '2024-03-10T00:00:00.000Z',
      '2024-03-10T12:00:00.000Z',
      '2024-03-10T23:59:59.999Z',
      '2024-03-11T00:00:00.000Z',
    ];
    const prefixOf = (day: string) => `${findWorkspace(fixture, 'acme').id}/${findWorkspace(fixture, 'acme').sources[0].id}/${day}/`;

    beforeAll(async () => {
      const acme = findWorkspace(fixture, 'acme');
      for (const [index, instant] of instants.entries()) {
        const day = instant.slice(0, 10);
        for (const source of acme.sources) {
          await env.s3.send(
            new PutObjectCommand({
              Bucket: env.bucket,
              Key: archiveObjectKey(acme.id, source.id, day, `boundary-${index}.jsonl.gz`),
              Body: encodeArchiveObject([{ messageId: `m-${index}`, type: 'track', userId: 'u-1', timestamp: instant }]),
            }),
          );
        }
      }
      await seedAreaRows(env, acme.id, 5);
    });

    it.each([
      [{ from: '2024-03-10T00:00:00Z', to: '2024-03-10' }, 'from', 'whole UTC days'],
      [{ from: '2024-03-10', to: '2024-03-10T23:59' }, 'to', 'whole UTC days'],
      [{ from: '2024-03-11', to: '2024-03-10' }, 'to', 'before from'],
      [{ from: '2024-03-10' }, 'to', 'whole UTC days'],
    ])('rejects %j', async (range, field, message) => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'source', workspace: 'acme', source: 'web', ticket: 'SUP-1', ...range });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe(field);
      expect(response.body.detail).toContain(message);
    });

    it('rejects an unknown source', async () => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', {
        kind: 'source',
        workspace: 'acme',
        source: 'android',
        from: '2024-03-10',
        to: '2024-03-10',
        ticket: 'SUP-1',
      });
      expect(response.status).toBe(404);
      expect(response.body.field).toBe('source');
    });

    it("rejects another workspace's source", async () => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', {
        kind: 'source',
        workspace: 'acme',
        source: findWorkspace(fixture, 'globex').sources[0].id,
        from: '2024-03-10',
        to: '2024-03-10',
        ticket: 'SUP-1',
      });
      expect(response.status).toBe(404);
    });

    it('rejects a workspace admin', async () => {
      const response = await client('ada@acme.test').post('/v1/deletion-requests', {
        kind: 'source',
        workspace: 'acme',
        source: 'web',
        from: '2024-03-10',
        to: '2024-03-10',
        ticket: 'SUP-1',
      });
      expect(response.status).toBe(403);
    });

    it('removes exactly that day of that source', async () => {
      const acme = findWorkspace(fixture, 'acme');
      const created = await client('ops@platform.test').post('/v1/deletion-requests', {
        kind: 'source',
        workspace: 'acme',
        source: 'web',
        from: '2024-03-10',
        to: '2024-03-10',
        ticket: 'SUP-77',
      });
      expect(created.status).toBe(202);
      expect(created.body.status).toBe('due');

      const completed = await waitForStatus(created.body.id, 'completed');
      const areas = Object.fromEntries(completed.areas.map((area: { area: string; status: string; counts: unknown }) => [area.area, area]));
      expect(areas.archive.counts).toEqual({ objects: 3 });
      expect(areas.profiles.status).toBe('skipped');
      expect(areas.audiences.status).toBe('skipped');

      expect(await countObjects(env.s3, env.bucket, prefixOf('2024-03-10'))).toBe(0);
      expect(await countObjects(env.s3, env.bucket, prefixOf('2024-03-09'))).toBe(1);
      expect(await countObjects(env.s3, env.bucket, prefixOf('2024-03-11'))).toBe(1);
      expect(await countObjects(env.s3, env.bucket, `${acme.id}/${acme.sources[1].id}/2024-03-10/`)).toBe(3);
      expect(await countAreaRows(env, acme.id)).toEqual({ profiles: 5, audiences: 5 });
    });

    it('states the window in UTC in the audit trail', async () => {
      const [request] = (await client('ops@platform.test').get('/v1/deletion-requests?kind=source')).body.items;
      const audit = (await client('ops@platform.test').get(`/v1/deletion-requests/${request.id}/audit`)).body;
      expect(audit[0].details).toMatchObject({ windowStart: '2024-03-10T00:00:00.000Z', windowEnd: '2024-03-11T00:00:00.000Z' });
      expect(audit[0].ticket).toBe('SUP-77');
    });
  });

  describe('purge on a ticket', () => {
    it('purges a workspace by slug after its grace period', async () => {
      const acmeEu = findWorkspace(fixture, 'acme-eu');
      await seedArchive(env.s3, env.bucket, { workspaceId: acmeEu.id, sourceId: acmeEu.sources[0].id, days: ['2024-05-01'], objectsPerDay: 6, usersPerObject: 1 });
      await seedAreaRows(env, acmeEu.id, 4);
      const acmeObjects = await countObjects(env.s3, env.bucket, `${findWorkspace(fixture, 'acme').id}/`);

      const created = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'purge', workspace: 'acme-eu', ticket: 'SUP-9' });
      expect(created.status).toBe(202);
      expect(created.body.status).toBe('scheduled');
      expect(created.body.workspaceId).toBe(acmeEu.id);

      const completed = await waitForStatus(created.body.id, 'completed');
      expect(completed.areas.map((area: { status: string }) => area.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(await countObjects(env.s3, env.bucket, `${acmeEu.id}/`)).toBe(0);
      expect(await countAreaRows(env, acmeEu.id)).toEqual({ profiles: 0, audiences: 0 });
      expect(await countObjects(env.s3, env.bucket, `${findWorkspace(fixture, 'acme').id}/`)).toBe(acmeObjects);
    });
  });

  describe('legacy archive purge', () => {
    beforeAll(async () => {
      for (const [slug, deletedAt] of [
        ['oldco', '2021-06-01T00:00:00.000Z'],
        ['newco', '2022-03-31T00:00:00.000Z'],
      ]) {
        const workspace = findWorkspace(fixture, slug);
        await publisher.publish(
          workspaceDeletedV1,
          { workspaceId: workspace.id, deletedBy: findAccount(fixture, 'ops@platform.test').id, deletedAt },
          { key: workspace.id, workspaceId: workspace.id },
        );
        await seedArchive(env.s3, env.bucket, { workspaceId: workspace.id, sourceId: workspace.sources[0].id, days: ['2021-05-01'], objectsPerDay: 4, usersPerObject: 1 });
      }
      await waitFor(
        async () => (await env.query<{ count: string }>('SELECT count(*) FROM intake.workspaces WHERE deleted_at IS NOT NULL'))[0].count === '2',
        { description: 'both workspaces marked deleted' },
      );
    });

    it('rejects a live workspace', async () => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'legacy_archive_purge', workspace: 'globex', ticket: 'SUP-2' });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('workspace-not-deleted');
    });

    it('rejects a workspace deleted on the cutoff day', async () => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'legacy_archive_purge', workspace: 'newco', ticket: 'SUP-2' });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('workspace-not-legacy');
      expect(await countObjects(env.s3, env.bucket, `${findWorkspace(fixture, 'newco').id}/`)).toBe(4);
    });

    it('purges only the archive of an old deletion', async () => {
      const oldco = findWorkspace(fixture, 'oldco');
      const created = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'legacy_archive_purge', workspace: oldco.id, ticket: 'SUP-3' });
      expect(created.status).toBe(202);
      const completed = await waitForStatus(created.body.id, 'completed');
      expect(completed.areas.find((area: { area: string }) => area.area === 'profiles').status).toBe('skipped');
      expect(await countObjects(env.s3, env.bucket, `${oldco.id}/`)).toBe(0);
    });
  });

  describe('workspace deleted in the app', () => {
    it('starts a deletion requested by the account named in the event', async () => {
      const globex = findWorkspace(fixture, 'globex');
      const gil = findAccount(fixture, 'gil@globex.test');
      await publisher.publish(
        workspaceDeletedV1,
        { workspaceId: globex.id, deletedBy: gil.id, deletedAt: new Date().toISOString() },
        { key: globex.id, workspaceId: globex.id },
      );
      const request = await waitFor(
        async () => (await client('ops@platform.test').get('/v1/deletion-requests?workspace=globex')).body.items[0],
        { description: 'a deletion request for globex' },
      );
      expect(request.kind).toBe('workspace');
      expect(request.requestedBy).toBe(gil.id);
      expect(request.graceEndsAt).not.toBeNull();
      await waitFor(() => env.smtp.to('gil@globex.test').some((mail) => mail.subject.includes('globex is scheduled for deletion')), {
        description: 'the admin email for globex',
      });
    });

    it('ignores a historical deletion', async () => {
      const requests = (await client('ops@platform.test').get('/v1/deletion-requests?workspace=oldco&kind=workspace')).body.items;
      expect(requests).toEqual([]);
    });
  });

  describe('account deletion', () => {
    const zed = () => client('zed@initech.test');

    it('rejects a wrong password with 401', async () => {
      const response = await zed().post('/v1/deletion-requests', { kind: 'account', password: 'wrong' });
      expect(response.status).toBe(401);
    });

    it('limits repeated failures with 429 and Retry-After', async () => {
      await zed().post('/v1/deletion-requests', { kind: 'account', password: 'wrong' });
      await zed().post('/v1/deletion-requests', { kind: 'account', password: 'wrong' });
      const limited = await zed().post('/v1/deletion-requests', { kind: 'account', password: DEVELOPMENT_PASSWORD });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(3);
      expect(await env.query("SELECT 1 FROM intake.deletion_requests WHERE workspace_id = $1", [findWorkspace(fixture, 'initech').id])).toHaveLength(0);
    });

    it('deletes administered workspaces and then the account', async () => {
      const response = await waitFor(
        async () => {
          const attempt = await zed().post('/v1/deletion-requests', { kind: 'account', password: DEVELOPMENT_PASSWORD, reason: 'leaving' });
          return attempt.status === 429 ? undefined : attempt;
        },
        { description: 'the failure window to pass', intervalMs: 500 },
      );
      expect(response.status).toBe(202);
      expect(response.body.kind).toBe('account');
      expect(response.body.requests.map((request: { workspace: string }) => request.workspace)).toEqual(['initech']);
      expect(response.body.removedMemberships).toBe(1);

      const memberships = await env.query('SELECT workspace_id FROM intake.memberships WHERE account_id = $1', [findAccount(fixture, 'zed@initech.test').id]);
      expect(memberships).toHaveLength(1);

      await waitForStatus(response.body.requests[0].id, 'completed');
      const account = await waitFor(
        async () => {
          const [row] = await env.query<{ removed_at: Date | null; email: string }>('SELECT removed_at, email FROM intake.accounts WHERE id = $1', [
            findAccount(fixture, 'zed@initech.test').id,
          ]);
          return row.removed_at ? row : undefined;
        },
        { description: 'the account record to be removed' },
      );
      expect(account.email).not.toContain('zed');
    });
  });
});

