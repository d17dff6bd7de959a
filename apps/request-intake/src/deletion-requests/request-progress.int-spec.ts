import { openServiceDataSource } from '@deletion/persistence';
import { TestEnvironment } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { INTAKE_MIGRATIONS } from '../migrations';
import { DeletionRequestRepository } from './deletion-request.repository';

const CONSUMER = 'request-intake';

/**
 * The statements that apply a fetched batch of purge events to the
 * requests, against PostgreSQL: each event once, each request its own values.
 */
describe('request progress from batches of events', () => {
  const env = new TestEnvironment();
  let dataSource: DataSource;
  let repository: DeletionRequestRepository;

  beforeAll(async () => {
    await env.start();
    dataSource = await openServiceDataSource({
      url: env.databaseUrl,
      schema: 'intake',
      entities: [],
      migrations: INTAKE_MIGRATIONS,
      poolSize: 2,
      runMigrations: true,
    });
    repository = new DeletionRequestRepository(dataSource.manager);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await env.dispose();
  });

  /** Inserts `count` due end-user requests of one workspace and returns their ids. */
  const dueRequests = async (count: number): Promise<string[]> => {
    const workspaceId = randomUUID();
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const id of ids) {
      await env.query(
        `INSERT INTO intake.deletion_requests (id, kind, status, workspace_id, requested_by, scope, created_at, deadline, due_at)
         VALUES ($1, 'user', 'due', $2, $3, '{}', now(), now() + interval '30 days', now())`,
        [id, workspaceId, randomUUID()],
      );
    }
    return ids;
  };

  const areasOf = (requestId: string) =>
    env.query<{ area: string; status: string; counts: Record<string, number>; attempts: number }>(
      `SELECT area, status, counts, attempts FROM intake.request_areas WHERE request_id = $1 ORDER BY area`,
      [requestId],
    );

  it('starts several purges with their own areas', async () => {
    const [first, second] = await dueRequests(2);
    await repository.markPurgeStartedOnce(CONSUMER, [
      { eventId: randomUUID(), requestId: first, areas: [{ area: 'profiles', status: 'pending' }, { area: 'archive', status: 'pending' }] },
      { eventId: randomUUID(), requestId: second, areas: [{ area: 'profiles', status: 'pending' }, { area: 'archive', status: 'skipped' }] },
    ]);

    const statuses = await env.query<{ id: string; status: string }>(`SELECT id, status FROM intake.deletion_requests WHERE id = ANY($1::uuid[])`, [[first, second]]);
    expect(statuses.map((row) => row.status)).toEqual(['purging', 'purging']);
    expect((await areasOf(first)).map((row) => `${row.area}:${row.status}`)).toEqual(['archive:pending', 'profiles:pending']);
    expect((await areasOf(second)).map((row) => `${row.area}:${row.status}`)).toEqual(['archive:skipped', 'profiles:pending']);
    const audit = await env.query<{ request_id: string; details: { areas: string[] } }>(
      `SELECT request_id, details FROM intake.audit_events WHERE action = 'purge-started' AND request_id = $1`,
      [second],
    );
    expect(audit.map((row) => row.details.areas)).toEqual([['profiles', 'archive']]);
  });

  it('applies area events once and keeps final areas', async () => {
    const [first, second] = await dueRequests(2);
    const running = { eventId: randomUUID(), requestId: first, area: 'profiles', status: 'running' as const, attempts: 1 };
    const succeeded = { eventId: randomUUID(), requestId: second, area: 'profiles', status: 'succeeded' as const, attempts: 1, counts: { rows: 7 } };
    await repository.upsertAreasOnce(CONSUMER, [running, succeeded]);

    // The same running event again, beside a late interim event for the succeeded area: neither changes anything.
    const lateRetry = { eventId: randomUUID(), requestId: second, area: 'profiles', status: 'pending' as const, attempts: 2 };
    await repository.upsertAreasOnce(CONSUMER, [{ ...running, attempts: 5 }, lateRetry]);

    expect(await areasOf(first)).toEqual([{ area: 'profiles', status: 'running', counts: {}, attempts: 1 }]);
    expect(await areasOf(second)).toEqual([{ area: 'profiles', status: 'succeeded', counts: { rows: 7 }, attempts: 1 }]);

    await repository.upsertAreasOnce(CONSUMER, [{ eventId: randomUUID(), requestId: first, area: 'profiles', status: 'failed', attempts: 3, counts: { rows: 2 } }]);
    expect(await areasOf(first)).toEqual([{ area: 'profiles', status: 'failed', counts: { rows: 2 }, attempts: 3 }]);

    // An operator's retry reopens the failed area, and its next running event keeps what the failed attempts removed.
    await repository.reopenFailed(first);
    await repository.upsertAreasOnce(CONSUMER, [{ eventId: randomUUID(), requestId: first, area: 'profiles', status: 'running', attempts: 1 }]);
    expect(await areasOf(first)).toEqual([{ area: 'profiles', status: 'running', counts: { rows: 2 }, attempts: 1 }]);
  });

  it('rejects two events of one request', async () => {
    const [request] = await dueRequests(1);
    const event = () => ({ eventId: randomUUID(), requestId: request, area: 'profiles', status: 'running' as const, attempts: 1 });
    await expect(repository.upsertAreasOnce(CONSUMER, [event(), event()])).rejects.toThrow('two events of one request');
    expect(await areasOf(request)).toEqual([]);
  });

  it('records each outcome with its receipt', async () => {
    const [first, second] = await dueRequests(2);
    const receipt = (rows: number) => [{ area: 'profiles', status: 'succeeded', counts: { rows }, error: null }];
    const completedAt = '2026-12-05T10:00:00.000Z';
    const outcomes = [
      { eventId: randomUUID(), requestId: first, outcome: 'completed' as const, completedAt, receipt: receipt(3) },
      { eventId: randomUUID(), requestId: second, outcome: 'failed' as const, completedAt, receipt: receipt(4) },
    ];
    const waiting = await repository.markFinishedOnce(CONSUMER, outcomes);
    // A duplicate changes nothing and still returns its request's row.
    const again = await repository.markFinishedOnce(CONSUMER, [{ ...outcomes[0], receipt: receipt(99) }]);

    expect(waiting.map((row) => row.accountDeletionWaiting)).toEqual([false, false]);
    expect(again).toEqual([{ requestId: first, accountDeletionWaiting: false }]);
    const rows = await env.query<{ id: string; status: string; receipt: unknown }>(
      `SELECT id, status, receipt FROM intake.deletion_requests WHERE id = ANY($1::uuid[])`,
      [[first, second]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.status, row.receipt]]))).toEqual({
      [first]: ['completed', receipt(3)],
      [second]: ['failed', receipt(4)],
    });
    const audit = await env.query<{ request_id: string; action: string }>(
      `SELECT request_id, action FROM intake.audit_events WHERE request_id = ANY($1::uuid[]) ORDER BY action`,
      [[first, second]],
    );
    expect(audit.map((row) => `${row.request_id === first ? 'first' : 'second'}:${row.action}`)).toEqual(['first:completed', 'second:failed']);
  });
});
