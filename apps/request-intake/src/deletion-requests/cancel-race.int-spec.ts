import { TOPICS } from '@deletion/contracts';
import { TestEnvironment, TopicRecorder, signDevelopmentToken, stableUuid, waitFor } from '@deletion/testing';
import { ApiClient } from '../../../../e2e/support/api-client';
import { RunningIntake, startIntake } from '../intake.app';
import { loadIntakeConfig } from '../intake.config';
import { DeletionRequestsService } from './deletion-requests.service';

const REQUESTS = 12;

/**
 * A cancel that races the end of the grace period has exactly one winner:
 * the request ends either cancelled (cancel returned 200, no purge.due) or
 * due (cancel returned 409, exactly one purge.due), never both.
 */
describe('cancel racing the end of grace', () => {
  const env = new TestEnvironment();
  const adminId = stableUuid('account:race-admin');
  let intake: RunningIntake;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    await env.start();
    intake = await startIntake(loadIntakeConfig(env.env({ GRACE_PERIOD: '2s' })));
    recorder = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [TOPICS.purgeDue, TOPICS.deletionCancelled]);
    await recorder.start();

    await env.query(`INSERT INTO intake.accounts (id, email, name, password_hash) VALUES ($1, 'race@example.test', 'Race', '$2a$10$x')`, [adminId]);
    for (let index = 0; index < REQUESTS; index += 1) {
      const workspaceId = stableUuid(`workspace:race-${index}`);
      await env.query(`INSERT INTO intake.workspaces (id, slug, name, created_at) VALUES ($1, $2, $2, now())`, [workspaceId, `race-${index}`]);
      await env.query(`INSERT INTO intake.memberships (workspace_id, account_id, role) VALUES ($1, $2, 'admin')`, [workspaceId, adminId]);
    }
  });

  afterAll(async () => {
    await recorder?.stop();
    await intake?.close();
    await env.dispose();
  });

  it('leaves every request cancelled or due, never both', async () => {
    const api = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, adminId));
    const service = intake.app.get(DeletionRequestsService);
    const created = await Promise.all(
      Array.from({ length: REQUESTS }, (_, index) => api.post('/v1/deletion-requests', { kind: 'workspace', workspace: `race-${index}` })),
    );
    expect(created.every((response) => response.status === 202)).toBe(true);

    const outcomes = await Promise.all(
      created.map(async (response, index) => {
        const requestId: string = response.body.id;
        // Aim both at the end of grace, cancels spread from 30 ms before to 30 ms after it.
        const cancelAt = Date.parse(response.body.graceEndsAt) + (index % 7) * 10 - 30;
        const endGrace = async () => {
          for (;;) {
            const result = await intake.runtime.dataSource.transaction((manager) => service.endGracePeriod(manager, requestId));
            if (result !== 'grace-not-ended') {
              return result;
            }
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        };
        const cancel = async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, cancelAt - Date.now())));
          return api.post(`/v1/deletion-requests/${requestId}/cancel`);
        };
        const [cancelResponse] = await Promise.all([cancel(), endGrace()]);
        return { requestId, cancelStatus: cancelResponse.status };
      }),
    );

    for (const { requestId, cancelStatus } of outcomes) {
      const [row] = await env.query<{ status: string }>('SELECT status FROM intake.deletion_requests WHERE id = $1', [requestId]);
      if (row.status === 'cancelled') {
        expect(cancelStatus).toBe(200);
      } else {
        expect(row.status).toBe('due');
        expect(cancelStatus).toBe(409);
      }
    }

    await waitFor(() => recorder.messages.length === REQUESTS, { description: `one purge.due or deletion.cancelled per request (${REQUESTS})` });
    for (const { requestId } of outcomes) {
      const [row] = await env.query<{ status: string }>('SELECT status FROM intake.deletion_requests WHERE id = $1', [requestId]);
      const purgeDue = recorder.ofType('purge.due', requestId).length;
      const cancelled = recorder.ofType('deletion.cancelled', requestId).length;
      expect({ requestId, purgeDue, cancelled }).toEqual({ requestId, purgeDue: row.status === 'due' ? 1 : 0, cancelled: row.status === 'cancelled' ? 1 : 0 });
    }
  });
});
