import { Logger } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { assertSchemaName } from '../data-source.factory';
import { queryPrepared } from '../statements/prepared-query';

/**
 * The statements that open a claim's transaction with its settings, in one
 * round trip. Index scans only: deleted outbox rows stay in the table until
 * VACUUM, and a sequential scan would read every one of them.
 * No wait for the WAL flush at commit: a claim lost in a database crash
 * only publishes its events again, and consumers skip duplicates.
 */
const BEGIN_CLAIM = 'BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL synchronous_commit = off';

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

/**
 * Source of a relay's events. The default is the schema's outbox table.
 * A service whose state rows carry everything an event needs (the grace
 * scheduler's timers) can be its own outbox: the state change and the duty to
 * publish are then one row written in one statement.
 */
export interface OutboxSource {
  /** Names the relay's advisory lock and its log lines; unique within the schema. */
  name: string;
  /**
   * Takes up to $1 unpublished rows so that no other transaction takes them
   * (deleting or marking them, skipping locked rows), and returns them as
   * `id` (orders the batch), `topic`, `message_key`, `headers` (jsonb) and
   * `payload` (the envelope as JSON text). Further parameters follow $1.
   */
  claimSql: string;
  parameters?: unknown[];
  /**
   * True when $2 of `claimSql` is an exclusive lower bound on `id`. The relay
   * then starts each claim after the last id it claimed, so the index scan
   * skips the rows it deleted a moment ago. Now and then it scans from the
   * start, for rows that committed late with a lower id.
   */
  boundedById?: boolean;
}

export interface OutboxRelayOptions {
  schema: string;
  batchSize: number;
  /** How long the relay sleeps after finding the outbox empty, unless `wake()` is called first. */
  idleMs: number;
  /**
   * Wait after a claim that was not full, before the next claim, so the
   * next batch collects more events. The default, 0, claims at once (see
   * `STEADY_LOAD_LINGER_MS`). The wait overlaps the publish in flight, and
   * `wake()` ends it early.
   */
  lingerMs?: number;
  /** Defaults to the schema's outbox table. */
  source?: OutboxSource;
}

/**
 * A `lingerMs` for relays of events that arrive one state change at a time.
 * In the end-to-end benchmark it gave about 11 % more requests per second
 * than claiming at once, and a wait that `wake()` could not end gave
 * nothing. The scheduler's timer relay, which drains bursts, claims at once:
 * a quick run of its benchmark fired fewer timers per second with the wait.
 */
export const STEADY_LOAD_LINGER_MS = 5;

/** How many batch sizes one claim may grow to while a backlog lasts. */
const MAX_CLAIM_GROWTH = 4;

/** How many claims of a bounded source may pass before one scans from the start again. */
const FULL_SCAN_EVERY = 50;

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  headers: Record<string, string>;
  /** The envelope as JSON text, published as it is. */
  payload: string;
}

/** A batch deleted from the outbox in a transaction that is still open. */
interface ClaimedBatch {
  runner: QueryRunner;
  rows: OutboxRow[];
}

/**
 * Publishes committed outbox rows to Kafka in id order. Each batch is deleted
 * in a transaction that commits only once the broker has acknowledged the
 * batch, so a crash publishes a batch again (consumers deduplicate by event
 * id) but never loses one.
 *
 * Batches are pipelined: while one batch is being published, the next is
 * claimed from the database (`FOR UPDATE SKIP LOCKED` passes over the rows
 * of the batch in flight). Batches are still published one after another,
 * and when one fails, the batch claimed behind it is rolled back too, so
 * order per key holds. Only the instance holding the schema's advisory lock
 * publishes, so several instances of a service do not interleave batches.
 * The relay uses up to three pooled connections: the lock's, the batch in
 * flight and the batch being claimed.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private readonly schema: string;
  private readonly source: OutboxSource;
  /** The outbox table's relay keeps the lock name it had before sources existed, so a rolling upgrade never runs two leaders. */
  private readonly lockName: string;
  private running = false;
  private activeHolds = 0;
  /** Claims of a bounded source start after this id; '0' scans from the start. */
  private scanAfterId = '0';
  private claimsSinceFullScan = 0;
  private claimSize: number;
  private readonly lingerMs: number;
  private loop?: Promise<void>;
  private wakeUp?: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: RecordPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.claimSize = options.batchSize;
    this.lingerMs = options.lingerMs ?? 0;
    this.schema = assertSchemaName(options.schema);
    this.source = options.source ?? outboxTableSource(this.schema);
    this.lockName = options.source ? `outbox:${this.schema}:${this.source.name}` : `outbox:${this.schema}`;
    this.logger = new Logger(`OutboxRelay:${this.schema}${options.source ? `:${this.source.name}` : ''}`);
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
    this.wakeUp?.();
    await this.loop;
  }

  /** Signals that a transaction just committed outbox rows, so the relay need not wait out its idle time. */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Stops claiming new batches until `release()`, so a service can finish a
   * burst of state changes before spending the CPU on publishing them. A
   * batch already claimed is still published. Holds nest.
   */
  hold(): void {
    this.activeHolds += 1;
  }

  release(): void {
    this.activeHolds = Math.max(0, this.activeHolds - 1);
    if (this.activeHolds === 0) {
      this.wake();
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const leader = this.dataSource.createQueryRunner();
      try {
        await leader.connect();
        const [lock] = await leader.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.lockName]);
        if (!lock.locked) {
          await this.sleep(this.options.idleMs * 10);
          continue;
        }
        await this.publishWhileRunning();
        failures = 0;
      } catch (error) {
        failures += 1;
        const delayMs = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.logger.error(`publishing the outbox failed (attempt ${failures}); retrying in ${delayMs} ms: ${String(error)}`);
        await this.sleep(delayMs);
      } finally {
        await leader.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        await leader.release();
      }
    }
  }

  /** Publishes batches until the relay stops; throws on the first failure after rolling back every open batch. */
  private async publishWhileRunning(): Promise<void> {
    // A rolled-back batch returns its rows below the last claimed id, so a new leader term scans from the start,
    // with claims of one batch: a grown claim may be what the broker rejected.
    this.scanAfterId = '0';
    this.claimSize = this.options.batchSize;
    let inFlight: Promise<void> | undefined;
    while (this.running) {
      const next = this.activeHolds > 0 ? undefined : await this.claimBatch();
      if (inFlight) {
        try {
          await inFlight;
        } catch (error) {
          if (next) {
            await rollback(next);
          }
          throw error;
        } finally {
          inFlight = undefined;
        }
      }
      if (!next) {
        await this.sleep(this.options.idleMs);
        continue;
      }
      inFlight = this.publishAndCommit(next);
      // Keep the rejection handled until it is awaited above.
      inFlight.catch(() => undefined);
      if (this.lingerMs > 0 && next.rows.length < this.options.batchSize) {
        await this.sleep(this.lingerMs);
      }
    }
    await inFlight;
  }

  /**
   * Publishes a claimed batch and commits its deletion as soon as the broker
   * has acknowledged it. Its connection is released without waiting for the
   * next claim. A failed publish rolls the batch back.
   */
  private async publishAndCommit(batch: ClaimedBatch): Promise<void> {
    try {
      await this.publisher.publish(batch.rows.map(toRecord));
    } catch (error) {
      await rollback(batch);
      throw error;
    }
    await batch.runner.query('COMMIT');
    await batch.runner.release();
  }

  /** Claims the next batch in a transaction left open; returns undefined when the source has nothing else. */
  private async claimBatch(): Promise<ClaimedBatch | undefined> {
    const batch = await this.claimOnce();
    if (batch !== 'retry-from-start') {
      return batch;
    }
    // Nothing after the last claimed id: look once more from the start before going idle.
    this.scanAfterId = '0';
    const retried = await this.claimOnce();
    return retried === 'retry-from-start' ? undefined : retried;
  }

  private async claimOnce(): Promise<ClaimedBatch | undefined | 'retry-from-start'> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    await runner.query(BEGIN_CLAIM);
    try {
      const bounded = this.source.boundedById === true;
      // Every FULL_SCAN_EVERY claims, and before the relay goes idle, a claim scans from the start.
      this.claimsSinceFullScan += 1;
      if (this.claimsSinceFullScan >= FULL_SCAN_EVERY) {
        this.scanAfterId = '0';
      }
      if (this.scanAfterId === '0') {
        this.claimsSinceFullScan = 0;
      }
      const parameters = bounded ? [this.claimSize, this.scanAfterId] : [this.claimSize, ...(this.source.parameters ?? [])];
      const { rows } = await queryPrepared<OutboxRow>(runner.manager, this.source.claimSql, parameters);
      if (rows.length === 0) {
        await rollback({ runner, rows });
        return bounded && this.scanAfterId !== '0' ? 'retry-from-start' : undefined;
      }
      // A full claim means a backlog: claim more at once, up to MAX_CLAIM_GROWTH batches.
      this.claimSize = rows.length >= this.claimSize ? Math.min(this.claimSize * 2, this.options.batchSize * MAX_CLAIM_GROWTH) : this.options.batchSize;
      rows.sort((left, right) => Number(left.id) - Number(right.id));
      if (bounded) {
        this.scanAfterId = rows[rows.length - 1].id;
      }
      return { runner, rows };
    } catch (error) {
      await rollback({ runner, rows: [] });
      throw error;
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

function outboxTableSource(schema: string): OutboxSource {
  return {
    name: 'outbox',
    claimSql: `DELETE FROM ${schema}.outbox WHERE id IN (
                      SELECT id FROM ${schema}.outbox WHERE id > $2::bigint ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING id, topic, message_key, headers, payload::text AS payload`,
    boundedById: true,
  };
}

function toRecord(row: OutboxRow): OutgoingRecord {
  return { topic: row.topic, key: row.message_key, value: row.payload, headers: row.headers };
}

async function rollback(batch: ClaimedBatch): Promise<void> {
  try {
    await batch.runner.query('ROLLBACK');
  } finally {
    await batch.runner.release();
  }
}
