import { OutboxRelay, queryAffectedCount } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Claims up to $1 due timers and marks them fired. A fired timer is its own
 * outbox entry (see grace-elapsed.source.ts), so this is the whole write.
 */
const FIRE_DUE_TIMERS_SQL = `
  UPDATE scheduler.grace_timers SET state = 'fired', fired_at = clock_timestamp()
   WHERE request_id IN (
         SELECT request_id FROM scheduler.grace_timers
          WHERE state = 'pending' AND grace_ends_at <= now()
          ORDER BY grace_ends_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED)`;

/**
 * Fires timers whose grace period has ended by the database clock, never
 * earlier. Claiming with `FOR UPDATE SKIP LOCKED` lets several scheduler
 * instances share the work. Firing a timer is one row update that also
 * marks its `grace.elapsed` event as due for publishing, so a crash neither
 * loses nor repeats a firing. `events` is the relay that publishes them.
 */
export class GraceTimerLoop {
  private readonly logger = new Logger(GraceTimerLoop.name);
  private running = false;
  private loop?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private wakeUp?: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: Pick<OutboxRelay, 'wake' | 'hold' | 'release'>,
    private readonly options: { pollIntervalMs: number; batchSize: number },
  ) {}

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
  async fireBatch(): Promise<number> {
    const count = await queryAffectedCount(this.dataSource, FIRE_DUE_TIMERS_SQL, [this.options.batchSize]);
    if (count > 0) {
      this.events.wake();
      this.logger.log(`fired ${count} grace timer(s)`);
    }
    return count;
  }

  /**
   * Fires every timer that is due, batch after batch; returns how many
   * fired. When the first batch is full there is a backlog, and the relay is
   * held back until it is fired: firing late delays every timer behind it,
   * publishing a moment later delays none of them further.
   */
  async fireDueTimers(): Promise<number> {
    let fired = await this.fireBatch();
    if (fired < this.options.batchSize) {
      return fired;
    }
    this.events.hold();
    try {
      let batch: number;
      do {
        batch = await this.fireBatch();
        fired += batch;
      } while (batch === this.options.batchSize);
    } finally {
      this.events.release();
    }
    return fired;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.fireDueTimers();
        await this.sleep(this.options.pollIntervalMs);
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
