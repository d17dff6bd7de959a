import { envelopeSchema, graceElapsedV1 } from '@deletion/contracts';
import { ServiceRuntime } from '@deletion/service-runtime';
import { TestEnvironment } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { CreateSchedulerTables1733300100000 } from '../migrations/1733300100000-create-scheduler-tables';
import { loadSchedulerConfig } from '../scheduler.config';
import { GraceTimerLoop } from './grace-timer.loop';

describe('GraceTimerLoop on PostgreSQL', () => {
  const env = new TestEnvironment();
  let runtime: ServiceRuntime;
  let loop: GraceTimerLoop;

  beforeAll(async () => {
    await env.start();
    const config = loadSchedulerConfig(env.env());
    runtime = await ServiceRuntime.open({ serviceName: 'grace-scheduler', schema: 'scheduler', database: config, kafka: config, migrations: [CreateSchedulerTables1733300100000] });
    // Stop the relay so the outbox rows stay for inspection.
    await runtime.relay.stop();
    loop = new GraceTimerLoop(runtime.dataSource, runtime.relay, { pollIntervalMs: 1_000, batchSize: 2, topicPrefix: env.topicPrefix });
  });

  afterAll(async () => {
    await runtime?.close();
    await env.dispose();
  });

  it('fires only timers whose grace has ended', async () => {
    const due = [randomUUID(), randomUUID(), randomUUID()];
    const later = randomUUID();
    for (const requestId of due) {
      await env.query(`INSERT INTO scheduler.grace_timers (request_id, workspace_id, grace_ends_at, state) VALUES ($1, $2, now() - interval '1 second', 'pending')`, [
        requestId,
        randomUUID(),
      ]);
    }
    await env.query(`INSERT INTO scheduler.grace_timers (request_id, workspace_id, grace_ends_at, state) VALUES ($1, $2, now() + interval '1 hour', 'pending')`, [
      later,
      randomUUID(),
    ]);

    expect(await loop.fireDueTimers()).toBe(2);
    expect(await loop.fireDueTimers()).toBe(1);
    expect(await loop.fireDueTimers()).toBe(0);

    const states = await env.query<{ request_id: string; state: string }>('SELECT request_id, state FROM scheduler.grace_timers');
    expect(states.filter((row) => row.state === 'fired').map((row) => row.request_id).sort()).toEqual([...due].sort());
    expect(states.find((row) => row.request_id === later)?.state).toBe('pending');
  });

  it('writes grace.elapsed events that satisfy the contract', async () => {
    const rows = await env.query<{ topic: string; message_key: string; headers: Record<string, string>; payload: unknown }>(
      'SELECT topic, message_key, headers, payload FROM scheduler.outbox ORDER BY id',
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const envelope = envelopeSchema.parse(row.payload);
      const payload = graceElapsedV1.schema.parse(envelope.payload);
      expect(envelope.type).toBe('grace.elapsed');
      expect(envelope.requestId).toBe(payload.requestId);
      expect(row.message_key).toBe(payload.workspaceId);
      expect(row.topic).toBe(`${env.topicPrefix}grace.elapsed`);
      expect(row.headers['event-type']).toBe('grace.elapsed');
      expect(Date.parse(payload.firedAt)).toBeGreaterThanOrEqual(Date.parse(payload.graceEndsAt));
    }
  });
});
