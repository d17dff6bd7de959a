import { DeletionKind, KINDS_WITH_GRACE_PERIOD, RequestStatus } from '@deletion/contracts';

export interface RequestSchedule {
  /** When the grace period ends, or null for kinds that start at once. */
  graceEndsAt: Date | null;
  /** When the purge must be complete: the deadline counts from the request, not from the end of grace. */
  deadline: Date;
}

/** Computes the grace period's end and the deadline of a request created at `createdAt` (UTC instants). */
export function computeRequestSchedule(
  kind: DeletionKind,
  createdAt: Date,
  gracePeriodMs: number,
  deadlineMs: number,
): RequestSchedule {
  const graceEndsAt = KINDS_WITH_GRACE_PERIOD.has(kind) ? new Date(createdAt.getTime() + gracePeriodMs) : null;
  return { graceEndsAt, deadline: new Date(createdAt.getTime() + deadlineMs) };
}

/**
 * Tells whether the grace period is over at `now`. The end instant itself belongs
 * to the purge: at exactly `graceEndsAt` the request can no longer be cancelled.
 */
export function hasGracePeriodEnded(graceEndsAt: Date | null, now: Date): boolean {
  return graceEndsAt === null || now.getTime() >= graceEndsAt.getTime();
}

/** Tells whether a request can still be cancelled at `now`: it is scheduled and its grace period has not ended. */
export function isCancellable(status: RequestStatus, graceEndsAt: Date | null, now: Date): boolean {
  return status === 'scheduled' && !hasGracePeriodEnded(graceEndsAt, now);
}
