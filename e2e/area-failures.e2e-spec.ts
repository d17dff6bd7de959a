import { loadConfig } from '@deletion/config';
import { EventPublisher } from '@deletion/kafka';
import {
  PermanentPurgeError,
  ProductAreaDefinition,
  RetryablePurgeError,
  RunningProductArea,
  productAreaConfigSchema,
  productAreaTablesMigration,
  startProductArea,
} from '@deletion/product-area-sdk';
import { TestEnvironment, findAccount, publishDirectory, signDevelopmentToken, standardDirectory, waitFor } from '@deletion/testing';
import { startExecutor, RunningExecutor } from '../apps/purge-executor/src/executor.app';
import { loadExecutorConfig } from '../apps/purge-executor/src/executor.config';
import { startNotifier, RunningNotifier } from '../apps/notifier/src/notifier.app';
import { loadNotifierConfig } from '../apps/notifier/src/notifier.config';
import { startIntake, RunningIntake } from '../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../apps/request-intake/src/intake.config';
import { ApiClient } from './support/api-client';
import { waitForDirectory } from './support/directory-ready';

/**
 * Failing product areas: a permanent error fails an area at once, a
 * transient one is retried with backoff up to the cap, the request ends
 * `failed` naming the areas, and an operator's retry completes it.
 */
describe('product areas that fail', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  const healed = { warehouse: false, crm: false };
  const emailAttempts: number[] = [];
  let intake: RunningIntake;
  let executor: RunningExecutor;
  let notifier: RunningNotifier;
  const areas: RunningProductArea[] = [];

  const definitions: Array<[ProductAreaDefinition, string]> = [
    [
      {
        name: 'warehouse-sync',
        kinds: ['user'],
        transactional: false,
        async purge() {
          if (!healed.warehouse) {
            throw new PermanentPurgeError('deletion_unsupported', 'the warehouse answered 403: deletion is not supported for this destination');
          }
          return { rows: 4 };
        },
      },
      'area_warehouse',
    ],
    [
      {
        name: 'email',
        kinds: ['user'],
        transactional: false,
        async purge(_job, { attempt }) {
          emailAttempts.push(attempt);
          if (attempt < 3) {
            throw new RetryablePurgeError('timeout', `the email provider timed out (attempt ${attempt})`);
          }
          return { contacts: 1 };
        },
      },
      'area_email',
    ],
    [
      {
        name: 'crm',
        kinds: ['user'],
        transactional: false,
        async purge() {
          if (!healed.crm) {
            throw new RetryablePurgeError('unavailable', 'the CRM is unavailable');
          }
          return { records: 2 };
        },
      },
      'area_crm',
    ],
  ];

  beforeAll(async () => {
    await env.start();
    const config = env.env({ PURGE_AREAS: 'warehouse-sync,email,crm', AREA_RETRY_DELAY: '200ms', AREA_MAX_ATTEMPTS: '5' });
    intake = await startIntake(loadIntakeConfig(config));
    executor = await startExecutor(loadExecutorConfig(config));
    notifier = await startNotifier(loadNotifierConfig(config));
    for (const [area, schema] of definitions) {
      areas.push(await startProductArea({ area, schema, migrations: [productAreaTablesMigration(schema)], config: loadConfig(productAreaConfigSchema, config) }));
    }
    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);
  });

  afterAll(async () => {
    await Promise.allSettled([intake?.close(), executor?.close(), notifier?.close(), ...areas.map((area) => area.close())]);
    await env.dispose();
  });

  it('fails the request naming each failed area', async () => {
    const ada = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id));
    const created = await ada.post('/v1/deletion-requests', { kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['u-77'] });
    expect(created.status).toBe(202);
    const requestId: string = created.body.id;

    const failed = await waitFor(
      async () => {
        const response = await ada.get(`/v1/deletion-requests/${requestId}`);
        return response.body.status === 'failed' ? response.body : undefined;
      },
      { description: 'the request to fail', timeoutMs: 60_000 },
    );
    const byName = Object.fromEntries(failed.areas.map((area: { area: string }) => [area.area, area]));

    expect(byName['email'].status).toBe('succeeded');
    expect(byName['email'].attempts).toBe(3);
    expect(emailAttempts).toEqual([1, 2, 3]);
    expect(byName['warehouse-sync'].status).toBe('failed');
    expect(byName['warehouse-sync'].attempts).toBe(1);
    expect(byName['warehouse-sync'].error.message).toContain('403');
    expect(byName['crm'].status).toBe('failed');
    expect(byName['crm'].attempts).toBe(5);
    expect(failed.receipt.find((area: { area: string }) => area.area === 'warehouse-sync').error).toContain('403');

    await waitFor(() => env.smtp.to('ada@acme.test').some((mail) => mail.subject.includes('failed')), { description: 'the failure email' });
  });

  it('runs no archive area when PURGE_AREAS leaves the archive out', async () => {
    expect(executor.archiveArea).toBeUndefined();
    const archiveTasks = await env.query<{ count: string }>('SELECT count(*) FROM area_archive.purge_tasks');
    expect(Number(archiveTasks[0].count)).toBe(0);
  });

  it('stops attempting failed areas', async () => {
    const before = await env.query<{ attempts: number; status: string }>('SELECT attempts, status FROM area_crm.purge_tasks');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await env.query<{ attempts: number; status: string }>('SELECT attempts, status FROM area_crm.purge_tasks');
    expect(after).toEqual(before);
    expect(after[0]).toEqual({ attempts: 5, status: 'failed' });
  });

  it('keeps processing other requests', async () => {
    healed.crm = true;
    healed.warehouse = true;
    const gil = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'gil@globex.test').id));
    const created = await gil.post('/v1/deletion-requests', { kind: 'user', workspace: 'globex', regulation: 'delete', subjectType: 'userId', subjects: ['u-1'] });
    await waitFor(async () => (await gil.get(`/v1/deletion-requests/${created.body.id}`)).body.status === 'completed', {
      description: 'the globex request to complete',
      timeoutMs: 60_000,
    });
  });

  it('lets only an operator retry', async () => {
    const ada = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id));
    const [request] = (await ada.get('/v1/deletion-requests?status=failed')).body.items;
    expect((await ada.post(`/v1/deletion-requests/${request.id}/retry`)).status).toBe(403);
  });

  it('completes after an operator retry', async () => {
    const ops = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ops@platform.test').id, ['operator']));
    const [request] = (await ops.get('/v1/deletion-requests?status=failed')).body.items;

    const retried = await ops.post(`/v1/deletion-requests/${request.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.status).toBe('purging');

    const completed = await waitFor(
      async () => {
        const response = await ops.get(`/v1/deletion-requests/${request.id}`);
        return response.body.status === 'completed' ? response.body : undefined;
      },
      { description: 'the retried request to complete', timeoutMs: 60_000 },
    );
    const byName = Object.fromEntries(completed.areas.map((area: { area: string }) => [area.area, area]));
    expect(byName['warehouse-sync'].counts).toEqual({ rows: 4 });
    expect(byName['crm'].counts).toEqual({ records: 2 });
    expect(byName['email'].counts).toEqual({ contacts: 1 });
    // Three attempts for this request and three for the globex one: the retry did not run the succeeded email area again.
    expect(emailAttempts).toEqual([1, 2, 3, 1, 2, 3]);

    const audit = (await ops.get(`/v1/deletion-requests/${request.id}/audit`)).body.map((event: { action: string }) => event.action);
    expect(audit).toEqual(['requested', 'purge-started', 'failed', 'retry-requested', 'completed']);
    expect((await ops.post(`/v1/deletion-requests/${request.id}/retry`)).status).toBe(409);
  });
});
