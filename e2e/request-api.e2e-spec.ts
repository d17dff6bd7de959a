import { EventPublisher } from '@deletion/kafka';
import { membershipChangedV1, membershipRevokedV1 } from '@deletion/contracts';
import { TestEnvironment, findAccount, findWorkspace, publishDirectory, signDevelopmentToken, standardDirectory, waitFor } from '@deletion/testing';
import { RunningIntake, startIntake } from '../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../apps/request-intake/src/intake.config';
import { ApiClient } from './support/api-client';
import { waitForDirectory } from './support/directory-ready';

/** Idempotency keys, operator purges on a ticket, listing and the audit trail, against request-intake alone. */
describe('deletion request API', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  let intake: RunningIntake;
  const client = (email: string) => {
    const account = findAccount(fixture, email);
    return new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, account.id, account.operator ? ['operator'] : []));
  };
  const requestCount = async () => Number((await env.query<{ count: string }>('SELECT count(*) FROM intake.deletion_requests'))[0].count);

  beforeAll(async () => {
    await env.start();
    // A directory cache that outlives the tests: a role change that is not seen at once fails them.
    intake = await startIntake(loadIntakeConfig(env.env({ GRACE_PERIOD: '1h', DIRECTORY_CACHE_TTL: '1h' })));
    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);
  });

  afterAll(async () => {
    await intake?.close();
    await env.dispose();
  });

  describe('Idempotency-Key', () => {
    it('returns the first response for a retry', async () => {
      const ada = client('ada@acme.test');
      const first = await ada.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme-eu' }, { 'Idempotency-Key': 'retry-1' });
      const again = await ada.post('/v1/deletion-requests', { workspace: 'acme-eu', kind: 'workspace' }, { 'Idempotency-Key': 'retry-1' });

      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);
      expect(await requestCount()).toBe(1);
    });

    it('rejects the key with another body', async () => {
      const response = await client('ada@acme.test').post(
        '/v1/deletion-requests',
        { kind: 'workspace', workspace: 'acme' },
        { 'Idempotency-Key': 'retry-1' },
      );
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('idempotency-key-reused');
      expect(await requestCount()).toBe(1);
    });

    it('creates one request for concurrent retries', async () => {
      const gil = client('gil@globex.test');
      const responses = await Promise.all(
        [1, 2, 3].map(() => gil.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'globex' }, { 'Idempotency-Key': 'burst' })),
      );
      expect(responses.map((response) => response.status)).toEqual([202, 202, 202]);
      expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
      expect(await requestCount()).toBe(2);
    });

    it('rejects a malformed key', async () => {
      const response = await client('ada@acme.test').post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' }, { 'Idempotency-Key': 'has space' });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('Idempotency-Key');
    });

    it('replays a cancel', async () => {
      const ada = client('ada@acme.test');
      const [request] = (await ada.get('/v1/deletion-requests?workspace=acme-eu')).body.items;
      const first = await ada.post(`/v1/deletion-requests/${request.id}/cancel`, { reason: 'mistake' }, { 'Idempotency-Key': 'cancel-1' });
      const again = await ada.post(`/v1/deletion-requests/${request.id}/cancel`, { reason: 'mistake' }, { 'Idempotency-Key': 'cancel-1' });
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('cancelled');
    });
  });

  describe('bearer token', () => {
    it('refuses a token once it expires, though it was accepted before', async () => {
      const ada = findAccount(fixture, 'ada@acme.test');
      const token = signDevelopmentToken(env.jwtSecret, ada.id, [], 1);
      const expiresAt = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp * 1000;
      const api = new ApiClient(intake.url, token);

      expect((await api.get('/v1/deletion-requests')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));

      const expired = await api.get('/v1/deletion-requests');
      expect(expired.status).toBe(401);
      expect(expired.body.detail).toContain('expired');
    });
  });

  describe('purge on a ticket', () => {
    it('rejects a workspace admin', async () => {
      const response = await client('ada@acme.test').post('/v1/deletion-requests', { kind: 'purge', workspace: 'acme', ticket: 'SUP-1' });
      expect(response.status).toBe(403);
    });

    it('requires a ticket', async () => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'purge', workspace: 'acme' });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('ticket');
    });

    it('rejects a blank workspace slug', async () => {
      const response = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'purge', workspace: '', ticket: 'SUP-1' });
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('workspace');
    });

    it('schedules a purge by workspace id', async () => {
      const acme = findWorkspace(fixture, 'acme');
      const response = await client('ops@platform.test').post('/v1/deletion-requests', { kind: 'purge', workspace: acme.id, ticket: 'SUP-4711' });
      expect(response.status).toBe(202);
      expect(response.body.status).toBe('scheduled');
      expect(response.body.workspaceId).toBe(acme.id);
      expect(response.body.workspace).toBe('acme');
      expect(response.body.ticket).toBe('SUP-4711');
    });
  });

  describe('listing', () => {
    it('shows an admin only their workspaces', async () => {
      const page = (await client('ada@acme.test').get('/v1/deletion-requests')).body;
      expect(page.items.map((item: { workspace: string }) => item.workspace).sort()).toEqual(['acme', 'acme-eu']);
    });

    it('shows a member nothing', async () => {
      const page = (await client('bob@acme.test').get('/v1/deletion-requests')).body;
      expect(page.items).toEqual([]);
    });

    it('shows an operator everything, newest first', async () => {
      const page = (await client('ops@platform.test').get('/v1/deletion-requests')).body;
      expect(page.items).toHaveLength(3);
      const created = page.items.map((item: { createdAt: string }) => Date.parse(item.createdAt));
      expect([...created].sort((left, right) => right - left)).toEqual(created);
    });

    it('filters by status and kind', async () => {
      const ops = client('ops@platform.test');
      expect((await ops.get('/v1/deletion-requests?status=cancelled')).body.items.map((item: { workspace: string }) => item.workspace)).toEqual(['acme-eu']);
      expect((await ops.get('/v1/deletion-requests?kind=purge')).body.items.map((item: { workspace: string }) => item.workspace)).toEqual(['acme']);
    });

    it('pages with a cursor', async () => {
      const ops = client('ops@platform.test');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/deletion-requests?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await ops.get(path)).body;
        seen.push(...page.items.map((item: { id: string }) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(3);
      expect(new Set(seen).size).toBe(3);
    });

    it('rejects a bad cursor and limit', async () => {
      const ops = client('ops@platform.test');
      expect((await ops.get('/v1/deletion-requests?cursor=nonsense')).body.field).toBe('cursor');
      expect((await ops.get('/v1/deletion-requests?limit=0')).body.field).toBe('limit');
      expect((await ops.get('/v1/deletion-requests?status=done')).status).toBe(400);
    });
  });

  describe('audit trail', () => {
    it('records who requested and cancelled, and why', async () => {
      const ada = client('ada@acme.test');
      const [request] = (await ada.get('/v1/deletion-requests?workspace=acme-eu')).body.items;
      const audit = (await ada.get(`/v1/deletion-requests/${request.id}/audit`)).body;

      expect(audit.map((event: { action: string }) => event.action)).toEqual(['requested', 'cancelled']);
      expect(audit[0].actor).toBe(findAccount(fixture, 'ada@acme.test').id);
      expect(audit[1].reason).toBe('mistake');
      expect(audit[1].occurredAt).toMatch(/Z$/);
    });

    it('records the ticket of a purge', async () => {
      const ops = client('ops@platform.test');
      const [request] = (await ops.get('/v1/deletion-requests?kind=purge')).body.items;
      const audit = (await ops.get(`/v1/deletion-requests/${request.id}/audit`)).body;
      expect(audit[0].ticket).toBe('SUP-4711');
    });

    it('hides the trail from a member', async () => {
      const [request] = (await client('ops@platform.test').get('/v1/deletion-requests?workspace=acme')).body.items;
      expect((await client('bob@acme.test').get(`/v1/deletion-requests/${request.id}/audit`)).status).toBe(404);
    });

    it('cannot be changed in the database', async () => {
      await expect(env.query("UPDATE intake.audit_events SET action = 'edited'")).rejects.toThrow('append-only');
      await expect(env.query('DELETE FROM intake.audit_events')).rejects.toThrow('append-only');
    });
  });

  describe('OpenAPI document', () => {
    it('documents every route and every kind', async () => {
      const document = await (await fetch(`${intake.url}/docs/openapi.json`)).json();
      expect(Object.keys(document.paths).sort()).toEqual([
        '/v1/deletion-requests',
        '/v1/deletion-requests/{id}',
        '/v1/deletion-requests/{id}/audit',
        '/v1/deletion-requests/{id}/cancel',
        '/v1/deletion-requests/{id}/retry',
        '/v1/workspaces/{workspace}/suppressions',
      ]);
      const create = document.paths['/v1/deletion-requests'].post;
      expect(Object.keys(create.requestBody.content['application/json'].examples).sort()).toEqual(['account', 'legacy', 'purge', 'source', 'user', 'workspace']);
      expect(Object.keys(create.responses).sort()).toEqual(['202', '400', '401', '403', '404', '409', '429']);
      expect(Object.keys(document.paths['/v1/deletion-requests/{id}/cancel'].post.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409']);
      expect(create.responses['404'].content['application/problem+json'].schema.required).toContain('status');
      expect(JSON.stringify(document)).not.toContain('"const"');
    });

    it('documents the bodies of successful responses', async () => {
      const document = await (await fetch(`${intake.url}/docs/openapi.json`)).json();
      const requestSchema = document.paths['/v1/deletion-requests/{id}'].get.responses['200'].content['application/json'].schema;
      expect(Object.keys(requestSchema.properties)).toEqual(expect.arrayContaining(['status', 'areas', 'receipt', 'deadline']));
      expect(requestSchema.properties.areas.items.properties.status.enum).toEqual(['pending', 'running', 'succeeded', 'failed', 'skipped']);
      const page = document.paths['/v1/deletion-requests'].get.responses['200'].content['application/json'].schema;
      expect(page.required).toEqual(['items', 'nextCursor']);
      const created = document.paths['/v1/deletion-requests'].post.responses['202'].content['application/json'].schema;
      expect(created.oneOf).toHaveLength(2);
      expect(document.paths['/v1/deletion-requests/{id}/audit'].get.responses['200'].content['application/json'].schema.type).toBe('array');

      // The documented fields are the fields a real response has.
      const ada = client('ada@acme.test');
      const accepted = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['user-openapi'] });
      expect(accepted.status).toBe(202);
      const { body: request } = await ada.get(`/v1/deletion-requests/${(accepted.body as { id: string }).id}`);
      expect(Object.keys(request as object).sort()).toEqual(Object.keys(requestSchema.properties).sort());
    });
  });

  describe('health', () => {
    it('reports the database and Kafka', async () => {
      const response = await fetch(`${intake.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', checks: { database: { status: 'ok' }, kafka: { status: 'ok' } } });
    });
  });

  // Last, because it adds a request that the listing tests above would count.
  it('replays an end-user deletion retry by its Idempotency-Key', async () => {
    // Nothing in planning conflicts here, so the key's unique index is what finds the retry.
    const ada = client('ada@acme.test');
    const body = { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['user-retried'] };
    const before = await requestCount();
    const first = await ada.post('/v1/deletion-requests', body, { 'Idempotency-Key': 'user-retry' });
    const again = await ada.post('/v1/deletion-requests', body, { 'Idempotency-Key': 'user-retry' });

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await requestCount()).toBe(before + 1);
    const audit = await env.query('SELECT 1 FROM intake.audit_events WHERE request_id = $1', [first.body.id]);
    expect(audit).toHaveLength(1);
  });

  // Last, because it adds requests too.
  it('applies a role change at once', async () => {
    const bob = client('bob@acme.test');
    const acme = findWorkspace(fixture, 'acme');
    const bobId = findAccount(fixture, 'bob@acme.test').id;
    const body = { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['user-of-bob'] };
    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    try {
      // A member is refused, and the read that refused him is what the cache keeps.
      expect((await bob.post('/v1/deletion-requests', body)).status).toBe(403);

      await publisher.publish(membershipChangedV1, { workspaceId: acme.id, accountId: bobId, role: 'admin' }, { key: acme.id, workspaceId: acme.id });
      await waitFor(async () => (await bob.post('/v1/deletion-requests', body)).status === 202, { description: "bob's promotion to admin", timeoutMs: 20_000 });

      await publisher.publish(membershipRevokedV1, { workspaceId: acme.id, accountId: bobId }, { key: acme.id, workspaceId: acme.id });
      const rejected = await waitFor(
        async () => {
          const response = await bob.post('/v1/deletion-requests', body);
          return response.status === 403 ? response : undefined;
        },
        { description: "bob's removal from acme", timeoutMs: 20_000 },
      );
      expect(rejected.body.detail).toContain('not a member');
    } finally {
      await publisher.disconnect();
    }
  });
});
