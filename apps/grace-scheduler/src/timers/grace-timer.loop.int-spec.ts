import { envelopeSchema, graceElapsedV1 } from '@deletion/contracts';
import { OutboxRelay } from '@deletion/persistence';
import { ServiceRuntime } from '@deletion/service-runtime';
import { TestEnvironment, TopicRecorder, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { SCHEDULER_MIGRATIONS } from '../migrations';
import { loadSchedulerConfig } from '../scheduler.config';
import { graceElapsedSource } from './grace-elapsed.source';
import { GraceTimerLoop } from './grace-timer.loop';

describe('GraceTimerLoop on PostgreSQL', () => {
  const env = new TestEnvironment();
  let runtime: ServiceRuntime;
  let loop: GraceTimerLoop;
  let events: OutboxRelay;
  let recorder: TopicRecorder;
  const due = [randomUUID(), randomUUID(), randomUUID()];
  const later = randomUUID();

  beforeAll(async () => {
    await env.start();
    const config = loadSchedulerConfig(env.env());
    runtime = await ServiceRuntime.open({ serviceName: 'grace-scheduler', schema: 'scheduler', database: config, kafka: config, migrations: SCHEDULER_MIGRATIONS });
    // Not started until the firing test has looked at the unpublished rows.
    events = new OutboxRelay(runtime.dataSource, runtime.publisher, { schema: 'scheduler', batchSize: 2, idleMs: 50, source: graceElapsedSource(env.topicPrefix) });
    loop = new GraceTimerLoop(runtime.dataSource, events, { pollIntervalMs: 1_000, batchSize: 2 });
    recorder = TopicRecorder.forLogicalTopics(runtime.kafka, env.topicPrefix, [graceElapsedV1.topic]);
    await recorder.start();
  });

  afterAll(async () => {
    await events?.stop();
    await recorder?.stop();
    await runtime?.close();
    await env.dispose();
  });

  it('fires only timers whose grace has ended', async () => {
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

    expect(await loop.fireBatch()).toBe(2);
    expect(await loop.fireBatch()).toBe(1);
    expect(await loop.fireBatch()).toBe(0);

    const states = await env.query<{ request_id: string; state: string; published_at: Date | null }>('SELECT request_id, state, published_at FROM scheduler.grace_timers');
    expect(states.filter((row) => row.state === 'fired').map((row) => row.request_id).sort()).toEqual([...due].sort());
    expect(states.find((row) => row.request_id === later)?.state).toBe('pending');
    expect(states.every((row) => row.published_at === null)).toBe(true);
  });

  it('fires a backlog to the end while holding its events back', async () => {
    const backlog = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const requestId of backlog) {
      await env.query(`INSERT INTO scheduler.grace_timers (request_id, workspace_id, grace_ends_at, state) VALUES ($1, $2, now() - interval '1 second', 'pending')`, [
        requestId,
        randomUUID(),
      ]);
    }
    const relayCalls: string[] = [];
    const observed = new GraceTimerLoop(runtime.dataSource, { wake: () => undefined, hold: () => relayCalls.push('hold'), release: () => relayCalls.push('release') }, {
      pollIntervalMs: 1_000,
      batchSize: 2,
    });
    expect(await observed.fireDueTimers()).toBe(5);
    expect(relayCalls).toEqual(['hold', 'release']);
    expect(await observed.fireDueTimers()).toBe(0);
    due.push(...backlog);
  });

  it('publishes one grace.elapsed event per fired timer that satisfies the contract', async () => {
    events.start();
    await waitFor(async () => recorder.messages.length >= due.length, { description: 'a grace.elapsed event per fired timer' });
    const timers = await env.query<{ request_id: string; event_id: string; published_at: Date | null }>(
      'SELECT request_id, event_id, published_at FROM scheduler.grace_timers',
    );
    const eventIds = new Map(timers.map((row) => [row.request_id, row.event_id]));
    for (const message of recorder.messages) {
      const envelope = envelopeSchema.parse(JSON.parse(message.raw));
      const payload = graceElapsedV1.schema.parse(envelope.payload);
      expect(envelope.type).toBe('grace.elapsed');
      expect(envelope.requestId).toBe(payload.requestId);
      expect(envelope.eventId).toBe(eventIds.get(payload.requestId));
      expect(message.key).toBe(payload.workspaceId);
      expect(message.topic).toBe(`${env.topicPrefix}grace.elapsed`);
      expect(message.headers['event-type']).toBe('grace.elapsed');
      expect(Date.parse(payload.firedAt)).toBeGreaterThanOrEqual(Date.parse(payload.graceEndsAt));
    }
    expect(recorder.messages.map((message) => message.envelope?.requestId).sort()).toEqual([...due].sort());
    expect(timers.filter((row) => row.published_at !== null).map((row) => row.request_id).sort()).toEqual([...due].sort());
  });
});
