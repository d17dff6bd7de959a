export interface RetryPolicy {
  /** Attempts before an area gives up on a purge and reports it failed. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 2_000, maxDelayMs: 300_000 };

/** Exponential backoff before attempt `attempt + 1`, capped, without jitter so tests and operators can predict it. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
}
