import { EventEnvelope, PayloadOf, PurgeCounts, PurgeError, purgeCompletedV1, purgeDueV1, purgeProgressV1, purgeRetryRequestedV1 } from '@deletion/contracts';
import { EventConsumer } from '@deletion/kafka';
import { KafkaPublisher } from '@deletion/kafka';
import {
  OutboxRelay,
  OutboxWriter,
  STEADY_LOAD_LINGER_MS,
  assertSchemaName,
  claimInboxEvent,
  queryAffectedCount,
  queryPrepared,
  runOnceForEvents,
  runWritesAsOneStatement,
  shiftPlaceholders,
} from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource, EntityManager } from 'typeorm';
import { PermanentPurgeError, ProductAreaDefinition, PurgeJob, RetryablePurgeError } from './product-area.definition';
import { DEFAULT_RETRY_POLICY, RetryPolicy, retryDelayMs } from './retry-policy';

export interface ProductAreaRunnerOptions {
  area: ProductAreaDefinition;
  dataSource: DataSource;
  /** The area's PostgreSQL schema, holding its purge tasks, outbox and inbox. */
  schema: string;
  kafka: Kafka;
  topicPrefix: string;
  retryPolicy?: RetryPolicy;
  /** How often the worker looks for purge tasks that are due. */
  pollIntervalMs?: number;
  /** How long a claimed task stays with this worker without a renewal; a crashed worker's task is picked up after it. */
  leaseMs?: number;
  /** Purges this process runs at the same time. */
  concurrency?: number;
}

interface ClaimedTask {
  request_id: string;
  job: PurgeJob;
  attempts: number;
  /** Counts of what earlier, failed attempts removed. */
  counts: PurgeCounts | null;
}

function addCounts(first: PurgeCounts | null, second: PurgeCounts | undefined): PurgeCounts {
  const total: PurgeCounts = { ...(first ?? {}) };
  for (const [unit, count] of Object.entries(second ?? {})) {
    total[unit] = (total[unit] ?? 0) + count;
  }
  return total;
}

/** The tasks a worker may claim: due and pending, or running under a lease that has run out. */
const CLAIMABLE_TASK = `(status = 'pending' AND next_attempt_at <= now()) OR (status = 'running' AND lease_until < now())`;

/**
 * Runs one product area: receives `purge.due`, stores it as a task, purges
 * with retries and leases, and acknowledges with `purge.completed`.
 *
 * The Kafka handler only records the task, so it returns in milliseconds and
 * a purge that runs for an hour never holds up heartbeats or causes a
 * rebalance. When this process has a free purge slot, the handler records the
 * task as claimed, with its `running` progress, and starts the purge without
 * waiting for the next poll. A redelivered `purge.due` finds the task already
 * stored and is a no-op; each task is acknowledged once.
 */
export class ProductAreaRunner {
  private readonly logger: Logger;
  private readonly schema: string;
  private readonly retryPolicy: RetryPolicy;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly outbox: OutboxWriter;
  private readonly relay: OutboxRelay;
  private readonly publisher: KafkaPublisher;
  private readonly consumer: EventConsumer;
  private readonly inFlight = new Set<Promise<void>>();
  /** Purge slots taken by `purge.due` handlers whose task is being recorded. */
  private reservedSlots = 0;
  /** True when a task may be waiting for a free slot, so a finished purge should wake the worker. */
  private tasksMayWait = false;
  private running = false;
  private workerLoop?: Promise<void>;
  private pollTimer?: NodeJS.Timeout;
  private wakePoll?: () => void;

  constructor(private readonly options: ProductAreaRunnerOptions) {
    const { area, topicPrefix } = options;
    this.logger = new Logger(`ProductArea:${area.name}`);
    this.schema = assertSchemaName(options.schema);
    this.retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.concurrency = options.concurrency ?? 2;
    this.outbox = new OutboxWriter(this.schema, topicPrefix);
    this.publisher = new KafkaPublisher(options.kafka);
    this.relay = new OutboxRelay(options.dataSource, this.publisher, { schema: this.schema, batchSize: 200, idleMs: 100, lingerMs: STEADY_LOAD_LINGER_MS });
    this.consumer = new EventConsumer(options.kafka, {
      groupId: `${topicPrefix}area.${area.name}`,
      topicPrefix,
      maxAttempts: 5,
    })
      // A fetched batch's work orders are recorded one statement per round (see EventConsumer).
      .onBatch(purgeDueV1, async (envelopes) => this.recordTasks(envelopes))
      .on(purgeRetryRequestedV1, async (envelope) => this.reopenTask(envelope.eventId, envelope.payload));
  }

  get consumerGroupId(): string {
    return `${this.options.topicPrefix}area.${this.options.area.name}`;
  }

  async start(): Promise<void> {
    this.running = true;
    this.relay.start();
    this.workerLoop = this.runWorker();
    await this.consumer.start();
    this.logger.log(`product area ${this.options.area.name} started (kinds: ${this.options.area.kinds.join(', ')})`);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakePoll?.();
    await this.consumer.stop();
    await this.workerLoop;
    await Promise.allSettled([...this.inFlight]);
    await this.relay.stop();
    await this.publisher.disconnect();
  }

  /**
   * Records work orders as tasks, with their inbox rows, in one statement.
   * As many as this process has free purge slots are recorded as claimed
   * by it (first attempt, lease running) with their `running` progress.
   * Those start at once, and the others wait as pending tasks for the
   * worker. A redelivered `purge.due` finds its task stored already and is
   * a no-op.
   */
  private async recordTasks(envelopes: Array<EventEnvelope<PurgeJob>>): Promise<void> {
    const inScope = envelopes.filter(({ payload: job }) => {
      if (this.options.area.kinds.includes(job.kind)) {
        return true;
      }
      this.logger.log(`request ${job.requestId}: kind ${job.kind} is not in scope of this area; skipped`);
      return false;
    });
    if (inScope.length === 0) {
      return;
    }
    const freeSlots = this.running ? Math.max(0, this.concurrency - this.inFlight.size - this.reservedSlots) : 0;
    const startNow = inScope.slice(0, freeSlots);
    const reserved = startNow.length;
    this.reservedSlots += reserved;
    try {
      const firstAttempts = startNow.map(({ payload: job }): ClaimedTask => ({ request_id: job.requestId, job, attempts: 1, counts: null }));
      const progress = this.outbox.insertStatement(
        firstAttempts.map((task) => ({ contract: purgeProgressV1, ...this.progressEvent(task, { status: 'running', error: null, nextAttemptAt: null }) })),
        { onlyIf: `(event.payload ->> 'requestId')::uuid IN (SELECT request_id FROM task WHERE status = 'running')` },
      ).statement;
      const parameters = [
        JSON.stringify(
          inScope.map(({ eventId, payload: job }, index) => ({
            event_id: eventId,
            request_id: job.requestId,
            workspace_id: job.workspaceId,
            job,
            start_now: index < reserved,
          })),
        ),
        this.leaseMs,
      ];
      // Without progress to write, the progress CTE gets no events but keeps its text, so the statement stays prepared.
      const recorded = await runOnceForEvents<{ request_id: string; status: 'pending' | 'running' }>(
        this.options.dataSource.manager,
        this.schema,
        this.consumerGroupId,
        inScope.map(({ eventId }) => eventId),
        `, due AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS due (event_id uuid, request_id uuid, workspace_id uuid, job jsonb, start_now boolean)
            WHERE event_id IN (SELECT event_id FROM inbox_claim)),
         task AS (
           INSERT INTO ${this.schema}.purge_tasks (request_id, workspace_id, job, status, attempts, lease_until)
           SELECT request_id, workspace_id, job, CASE WHEN start_now THEN 'running' ELSE 'pending' END, CASE WHEN start_now THEN 1 ELSE 0 END,
                  CASE WHEN start_now THEN now() + make_interval(secs => $2::double precision / 1000) END
             FROM due
           ON CONFLICT (request_id) DO NOTHING RETURNING request_id, status),
         progress AS (${shiftPlaceholders(progress.sql, parameters.length)})
         SELECT request_id, status FROM task`,
        [...parameters, ...progress.parameters],
      );
      // No wake-up for the relay: the progress rides with the acknowledgement of a short purge, or with the next claim.
      const statuses = new Map(recorded.map((task) => [task.request_id, task.status]));
      for (const { payload: job } of inScope.filter(({ payload }) => statuses.has(payload.requestId))) {
        this.logger.log(`request ${job.requestId}: purge task recorded for workspace ${job.workspaceId}`);
      }
      if ([...statuses.values()].includes('pending')) {
        this.tasksMayWait = true;
        this.wakePoll?.();
      }
      for (const task of firstAttempts.filter((first) => statuses.get(first.request_id) === 'running')) {
        this.startExecution(task);
      }
    } finally {
      this.reservedSlots -= reserved;
    }
  }

  /** Makes a failed task due again with a fresh attempt count, when an operator retries this area. */
  private async reopenTask(eventId: string, retry: PayloadOf<typeof purgeRetryRequestedV1>): Promise<void> {
    if (!retry.areas.includes(this.options.area.name)) {
      return;
    }
    const reopened = await this.options.dataSource.transaction(async (manager) => {
      if (!(await claimInboxEvent(manager, this.schema, this.consumerGroupId, eventId))) {
        return 0;
      }
      return queryAffectedCount(
        manager,
        `UPDATE ${this.schema}.purge_tasks
            SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL, completed_at = NULL, updated_at = now()
          WHERE request_id = $1 AND status = 'failed'`,
        [retry.requestId],
      );
    });
    this.logger.log(`request ${retry.requestId}: retry requested by ${retry.requestedBy}; ${reopened} failed task reopened`);
    this.tasksMayWait = true;
    this.wakePoll?.();
  }

  private async runWorker(): Promise<void> {
    while (this.running) {
      try {
        const free = this.concurrency - this.inFlight.size - this.reservedSlots;
        if (free > 0) {
          this.tasksMayWait = false;
        }
        const tasks = free > 0 && (await this.anyTaskClaimable()) ? await this.claimTasks(free) : [];
        if (tasks.length === free) {
          this.tasksMayWait = true;
        }
        for (const task of tasks) {
          this.startExecution(task);
        }
        if (tasks.length === 0 || tasks.length === free) {
          await this.sleep(this.pollIntervalMs);
        }
      } catch (error) {
        this.logger.error(`claiming purge tasks failed: ${String(error)}`);
        await this.sleep(this.pollIntervalMs * 5);
      }
    }
  }

  private startExecution(task: ClaimedTask): void {
    const execution = this.execute(task).finally(() => {
      this.inFlight.delete(execution);
      // Without tasks waiting for this slot, the next claim can wait for the poll.
      if (this.tasksMayWait) {
        this.wakePoll?.();
      }
    });
    this.inFlight.add(execution);
  }

  /** Checks in one autocommit statement whether a claim would find a task, so an empty poll costs one round trip instead of a transaction. */
  private async anyTaskClaimable(): Promise<boolean> {
    const { rows } = await queryPrepared<{ claimable: boolean }>(
      this.options.dataSource.manager,
      `SELECT EXISTS (SELECT 1 FROM ${this.schema}.purge_tasks WHERE ${CLAIMABLE_TASK}) AS claimable`,
    );
    return rows[0].claimable;
  }

  private async claimTasks(limit: number): Promise<ClaimedTask[]> {
    return this.options.dataSource.transaction(async (manager) => {
      const { rows } = await queryPrepared<ClaimedTask>(
        manager,
        `UPDATE ${this.schema}.purge_tasks
            SET status = 'running', attempts = attempts + 1, updated_at = now(),
                lease_until = now() + make_interval(secs => $1::double precision / 1000)
          WHERE request_id IN (
                SELECT request_id FROM ${this.schema}.purge_tasks
                 WHERE ${CLAIMABLE_TASK}
                 ORDER BY next_attempt_at
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)
          RETURNING request_id, job, attempts, counts`,
        [this.leaseMs, limit],
      );
      // One INSERT for the progress of every claimed task.
      await this.outbox.addAll(
        manager,
        rows.map((task) => ({ contract: purgeProgressV1, ...this.progressEvent(task, { status: 'running', error: null, nextAttemptAt: null }) })),
      );
      return rows;
    });
  }

  private async execute(task: ClaimedTask): Promise<void> {
    const { area, dataSource } = this.options;
    const leaseRenewal = setInterval(() => void this.renewLease(task.request_id), Math.max(1_000, this.leaseMs / 3));
    this.logger.log(`request ${task.request_id}: purge started (attempt ${task.attempts})`);
    try {
      if (area.transactional) {
        await dataSource.transaction(async (manager) => {
          const counts = await area.purge(task.job, { manager, attempt: task.attempts });
          await this.markSucceeded(manager, task, counts);
        });
      } else {
        const counts = await area.purge(task.job, { manager: dataSource.manager, attempt: task.attempts });
        await this.markSucceeded(dataSource.manager, task, counts);
      }
      this.relay.wake();
    } catch (error) {
      await this.markFailedAttempt(task, error);
    } finally {
      clearInterval(leaseRenewal);
    }
  }

  private async renewLease(requestId: string): Promise<void> {
    try {
      await this.options.dataSource.query(
        `UPDATE ${this.schema}.purge_tasks SET lease_until = now() + make_interval(secs => $2::double precision / 1000)
          WHERE request_id = $1 AND status = 'running'`,
        [requestId, this.leaseMs],
      );
    } catch (error) {
      this.logger.warn(`request ${requestId}: renewing the purge lease failed: ${String(error)}`);
    }
  }

  /** Marks the task succeeded and writes its acknowledgement, in one statement in the caller's transaction or on its own. */
  private async markSucceeded(manager: EntityManager, task: ClaimedTask, attemptCounts: PurgeCounts): Promise<void> {
    const counts = addCounts(task.counts, attemptCounts);
    await runWritesAsOneStatement(manager, [
      {
        sql: `UPDATE ${this.schema}.purge_tasks
                 SET status = 'succeeded', counts = $2, last_error = NULL, lease_until = NULL, completed_at = now(), updated_at = now()
               WHERE request_id = $1`,
        parameters: [task.request_id, JSON.stringify(counts)],
      },
      this.outbox.insertStatement([{ contract: purgeCompletedV1, ...this.acknowledgement(task, { status: 'succeeded', counts, error: null }) }]).statement,
    ]);
    this.logger.log(`request ${task.request_id}: purge succeeded ${JSON.stringify(counts)}`);
  }

  private async markFailedAttempt(task: ClaimedTask, cause: unknown): Promise<void> {
    const error = describeError(cause);
    const giveUp = error.permanent || task.attempts >= this.retryPolicy.maxAttempts;
    const delayMs = retryDelayMs(this.retryPolicy, task.attempts);
    const counts = addCounts(task.counts, cause instanceof RetryablePurgeError ? cause.partialCounts : undefined);

    await this.options.dataSource.transaction(async (manager) => {
      if (giveUp) {
        await manager.query(
          `UPDATE ${this.schema}.purge_tasks
              SET status = 'failed', last_error = $2, counts = $3, lease_until = NULL, completed_at = now(), updated_at = now()
            WHERE request_id = $1`,
          [task.request_id, JSON.stringify(error), JSON.stringify(counts)],
        );
        await this.acknowledge(manager, task, { status: 'failed', counts, error });
        return;
      }

      const nextAttemptAt = new Date(Date.now() + delayMs);
      await manager.query(
        `UPDATE ${this.schema}.purge_tasks
            SET status = 'pending', last_error = $2, counts = $4, lease_until = NULL, next_attempt_at = $3, updated_at = now()
          WHERE request_id = $1`,
        [task.request_id, JSON.stringify(error), nextAttemptAt, JSON.stringify(counts)],
      );
      await this.reportProgress(manager, task, { status: 'retrying', error, nextAttemptAt: nextAttemptAt.toISOString() });
    });
    this.relay.wake();

    const outcome = giveUp ? 'failed for good' : `will be retried in ${delayMs} ms`;
    this.logger.error(`request ${task.request_id}: purge attempt ${task.attempts} ${outcome}: ${error.code}: ${error.message}`);
  }

  private async reportProgress(
    manager: EntityManager,
    task: ClaimedTask,
    progress: Pick<PayloadOf<typeof purgeProgressV1>, 'status' | 'error' | 'nextAttemptAt'>,
  ): Promise<void> {
    await this.outbox.add(manager, purgeProgressV1, this.progressEvent(task, progress));
  }

  private progressEvent(task: ClaimedTask, progress: Pick<PayloadOf<typeof purgeProgressV1>, 'status' | 'error' | 'nextAttemptAt'>) {
    return {
      key: task.job.workspaceId,
      requestId: task.request_id,
      workspaceId: task.job.workspaceId,
      payload: { requestId: task.request_id, workspaceId: task.job.workspaceId, area: this.options.area.name, attempt: task.attempts, ...progress },
    };
  }

  /** Writes this area's acknowledgement (`purge.completed`) to the outbox, in the caller's transaction. */
  private async acknowledge(
    manager: EntityManager,
    task: ClaimedTask,
    result: Pick<PayloadOf<typeof purgeCompletedV1>, 'status' | 'counts' | 'error'>,
  ): Promise<void> {
    await this.outbox.add(manager, purgeCompletedV1, this.acknowledgement(task, result));
  }

  private acknowledgement(task: ClaimedTask, result: Pick<PayloadOf<typeof purgeCompletedV1>, 'status' | 'counts' | 'error'>) {
    return {
      key: task.job.workspaceId,
      requestId: task.request_id,
      workspaceId: task.job.workspaceId,
      payload: {
        requestId: task.request_id,
        workspaceId: task.job.workspaceId,
        area: this.options.area.name,
        attempt: task.attempts,
        completedAt: new Date().toISOString(),
        ...result,
      },
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.pollTimer);
        resolve();
      };
      this.pollTimer = setTimeout(done, ms);
      this.wakePoll = done;
    });
  }
}

function describeError(cause: unknown): PurgeError {
  if (cause instanceof PermanentPurgeError) {
    return { code: cause.code, message: cause.message, permanent: true, details: cause.details };
  }
  if (cause instanceof RetryablePurgeError) {
    return { code: cause.code, message: cause.message, permanent: false, details: cause.details };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { code: 'unexpected_error', message, permanent: false };
}
