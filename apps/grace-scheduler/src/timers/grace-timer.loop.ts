import { graceElapsedV1 } from '@deletion/contracts';
import { OutboxRelay, OutboxWriter, queryRows } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

interface DueTimer {
  request_id: string;
  workspace_id: string;
  grace_ends_at: Date;
  fired_at: Date;
}

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
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
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
  async fireDueTimers(): Promise<number> {
    const fired = await this.dataSource.transaction(async (manager) => {
      const rows = await queryRows<DueTimer>(manager,
        `UPDATE scheduler.grace_timers SET state = 'fired', fired_at = now()
          WHERE request_id IN (
                SELECT request_id FROM scheduler.grace_timers
                 WHERE state = 'pending' AND grace_ends_at <= now()
                 ORDER BY grace_ends_at
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED)
          RETURNING request_id, workspace_id, grace_ends_at, fired_at`,
        [this.options.batchSize],
      );
      for (const row of rows) {
        await this.outbox.add(manager, graceElapsedV1, {
          key: row.workspace_id,
          requestId: row.request_id,
          workspaceId: row.workspace_id,
          payload: {
            requestId: row.request_id,
            workspaceId: row.workspace_id,
            graceEndsAt: row.grace_ends_at.toISOString(),
            firedAt: row.fired_at.toISOString(),
          },
        });
      }
      return rows;
    });
    if (fired.length > 0) {
      this.relay.wake();
      this.logger.log(`fired ${fired.length} grace timer(s): ${fired.map((row) => row.request_id).join(', ')}`);
    }
    return fired.length;
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
