import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { assertSchemaName } from '../data-source.factory';

export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** The part of a Kafka producer the relay uses: `publish` resolves once the broker has acknowledged every record. */
export interface RecordPublisher {
  publish(records: OutgoingRecord[]): Promise<void>;
}

export interface OutboxRelayOptions {
  schema: string;
  batchSize: number;
  /** How long the relay sleeps after finding the outbox empty, unless `wake()` is called first. */
  idleMs: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  headers: Record<string, string>;
  payload: unknown;
}

/**
 * Publishes committed outbox rows to Kafka in commit order and deletes them
 * once the broker has acknowledged. A crash between the two publishes a row
 * again; consumers deduplicate by event id. A transaction-level advisory lock
 * keeps one relay per schema publishing at a time, so order per key holds
 * with several instances of a service.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private readonly schema: string;
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: RecordPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.schema = assertSchemaName(options.schema);
    this.logger = new Logger(`OutboxRelay:${this.schema}`);
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  /** Signals that a transaction just committed outbox rows, so the relay need not wait out its idle time. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Publishes one batch; returns how many rows were published (0 when empty or another relay holds the lock). */
  async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [lock] = await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [
        `outbox:${this.schema}`,
      ]);
      if (!lock.locked) {
        return 0;
      }

      const rows: OutboxRow[] = await manager.query(
        `SELECT id, topic, message_key, headers, payload FROM ${this.schema}.outbox ORDER BY id LIMIT $1`,
        [this.options.batchSize],
      );
      if (rows.length === 0) {
        return 0;
      }

      await this.publisher.publish(
        rows.map((row) => ({
          topic: row.topic,
          key: row.message_key,
          value: JSON.stringify(row.payload),
          headers: row.headers,
        })),
      );
      await manager.query(`DELETE FROM ${this.schema}.outbox WHERE id = ANY($1::bigint[])`, [rows.map((row) => row.id)]);
      return rows.length;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const published = await this.publishBatch();
        failures = 0;
        if (published < this.options.batchSize) {
          await this.sleep(this.options.idleMs);
        }
      } catch (error) {
        failures += 1;
        const delayMs = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.logger.error(`publishing outbox batch failed (attempt ${failures}); retrying in ${delayMs} ms: ${String(error)}`);
        await this.sleep(delayMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
