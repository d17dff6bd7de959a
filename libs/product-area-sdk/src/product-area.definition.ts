import { DeletionKind, PayloadOf, PurgeCounts, purgeDueV1 } from '@deletion/contracts';
import { EntityManager } from 'typeorm';

export type PurgeJob = PayloadOf<typeof purgeDueV1>;

export interface PurgeContext {
  /**
   * For a transactional area, the transaction that also records the
   * acknowledgement: the rows are gone exactly when the ack is committed.
   * For a non-transactional area, a manager outside any transaction.
   */
  manager: EntityManager;
  /** 1 for the first try; retries count up. */
  attempt: number;
}

/**
 * Definition a product-area team writes to take part in purges: a name, the kinds of
 * deletion it has data for, and the purge itself. Everything else
 * (subscription, deduplication, retries, acknowledgements) is the runner's job.
 */
export interface ProductAreaDefinition {
  name: string;
  kinds: readonly DeletionKind[];
  /** True when `purge` only touches this area's PostgreSQL schema, so it can share the ack's transaction. */
  transactional: boolean;
  purge(job: PurgeJob, context: PurgeContext): Promise<PurgeCounts>;
}

/** Thrown by a purge that can never succeed by retrying (a permission error, an unsupported request). */
export class PermanentPurgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * Thrown by a purge that failed this time and may succeed later; `details`
 * reach the status endpoint. `partialCounts` is what this attempt removed
 * anyway: the receipt adds it to what later attempts remove.
 */
export class RetryablePurgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly partialCounts?: PurgeCounts,
  ) {
    super(message);
  }
}
