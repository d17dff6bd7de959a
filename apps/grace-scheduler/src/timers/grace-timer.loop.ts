import { HEADERS, graceElapsedV1, topicName } from '@deletion/contracts';
import { OutboxRelay } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Claims up to $1 due timers, marks them fired and writes one grace.elapsed
 * event per timer to the outbox, in one statement. The envelope is built in
 * SQL because this is the scheduler's hot path. Its shape is the
 * grace.elapsed contract, and the scheduler's integration spec checks the
 * events against the contract's schema.
 */
const FIRE_DUE_TIMERS_SQL = `
  WITH fired AS (
    UPDATE scheduler.grace_timers SET state = 'fired', fired_at = clock_timestamp()
     WHERE request_id IN (
           SELECT request_id FROM scheduler.grace_timers
            WHERE state = 'pending' AND grace_ends_at <= now()
            ORDER BY grace_ends_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED)
     RETURNING request_id, workspace_id, grace_ends_at, fired_at),
  written AS (
    INSERT INTO scheduler.outbox (topic, message_key, headers, payload)
    SELECT $2, workspace_id::text, $3::jsonb, jsonb_build_object(
             'eventId', gen_random_uuid(),
             'type', $4::text,
             'schemaVersion', $5::int,
             'occurredAt', to_char(fired_at AT TIME ZONE 'UTC', ${ISO_UTC}),
             'requestId', request_id,
             'workspaceId', workspace_id,
             'payload', jsonb_build_object(
               'requestId', request_id,
               'workspaceId', workspace_id,
               'graceEndsAt', to_char(grace_ends_at AT TIME ZONE 'UTC', ${ISO_UTC}),
               'firedAt', to_char(fired_at AT TIME ZONE 'UTC', ${ISO_UTC})))
      FROM fired
     ORDER BY grace_ends_at
    RETURNING 1)
  SELECT count(*) AS fired FROM written`;

/**
 * Fires timers whose grace period has ended by the database clock, never
 * earlier. Claiming with `FOR UPDATE SKIP LOCKED` lets several scheduler
 * instances share the work. Firing a timer and writing its `grace.elapsed`
 * event commit together, so a crash neither loses nor repeats a firing.
 */
export class GraceTimerLoop {
  private readonly logger = new Logger(GraceTimerLoop.name);
  private running = false;
  private loop?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private wakeUp?: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
    private readonly options: { pollIntervalMs: number; batchSize: number; topicPrefix: string },
  ) {
    this.outboxTopic = topicName(options.topicPrefix, graceElapsedV1.topic);
  }

  private readonly outboxTopic: string;

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  /** Fires one batch of due timers; returns how many fired. */
  async fireDueTimers(): Promise<number> {
    const fired = await this.dataSource.transaction((manager) =>
      manager.query(FIRE_DUE_TIMERS_SQL, [
        this.options.batchSize,
        this.outboxTopic,
        JSON.stringify({ [HEADERS.eventType]: graceElapsedV1.type, [HEADERS.schemaVersion]: String(graceElapsedV1.version) }),
        graceElapsedV1.type,
        graceElapsedV1.version,
      ]),
    );
    const count = Number((fired as Array<{ fired: string }>)[0]?.fired ?? 0);
    if (count > 0) {
      this.relay.wake();
      this.logger.log(`fired ${count} grace timer(s)`);
    }
    return count;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const fired = await this.fireDueTimers();
        if (fired < this.options.batchSize) {
          await this.sleep(this.options.pollIntervalMs);
        }
      } catch (error) {
        this.logger.error(`firing grace timers failed; retrying after the poll interval: ${String(error)}`);
        await this.sleep(this.options.pollIntervalMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        resolve();
      };
      this.timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
