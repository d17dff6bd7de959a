export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Description of the awaited condition, for the failure message: "request r-1 to complete". */
  description: string;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, and
 * returns that value. Fails with the description and the last error or value
 * seen, so a timeout names what was missing.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.description}; last result: ${String(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
