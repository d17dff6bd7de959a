import { TestEnvironment } from '@deletion/testing';

export interface BenchOptions {
  full: boolean;
}

/** Creates an isolated database, topic prefix and bucket on the benchmark's components, as a test file gets. */
export async function createBenchEnvironment(): Promise<TestEnvironment> {
  return new TestEnvironment().start();
}

/** Polls `probe` every `intervalMs` until it is true; the poll interval bounds the timing error of a measurement. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number, description: string, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
