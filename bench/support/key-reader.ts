import { Worker } from 'node:worker_threads';

/**
 * The reader's loop, run in a worker thread: the benchmark process also
 * hosts the service under test, and a reader on the same event loop would
 * time that service's JavaScript along with PostgreSQL's response. A real
 * reader of another workspace is another process.
 */
const READER_SOURCE = `
const { Client } = require('pg');
const { parentPort, workerData } = require('node:worker_threads');
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  const client = new Client({ connectionString: workerData.databaseUrl });
  await client.connect();
  // The first read warms the connection and the plan; it is not counted.
  await client.query(workerData.sql, [workerData.workspaceId, 'user-0']);
  parentPort.postMessage({ ready: true });
  const latencies = [];
  for (let index = 0; running; index += 1) {
    const started = performance.now();
    await client.query(workerData.sql, [workerData.workspaceId, 'user-' + (index % workerData.keys)]);
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, workerData.pauseMs));
  }
  await client.end();
  parentPort.postMessage({ latencies });
})().catch((error) => { throw error; });
`;

export interface KeyReaderOptions {
  databaseUrl: string;
  /** A query with $1 (the workspace id) and $2 (a user id from user-0 to user-{keys - 1}). */
  sql: string;
  workspaceId: string;
  keys: number;
  pauseMs: number;
}

/**
 * Reads rows by key in a worker thread until stopped. Resolves once the
 * reader is connected and reading; `stop()` returns each read's latency in
 * milliseconds.
 */
export async function startKeyReader(options: KeyReaderOptions): Promise<{ stop(): Promise<number[]> }> {
  const worker = new Worker(READER_SOURCE, { eval: true, workerData: options });
  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const finished = new Promise<number[]>((resolve, reject) => {
    worker.on('message', (message: { ready?: boolean; latencies?: number[] }) => (message.latencies ? resolve(message.latencies) : ready()));
    worker.once('error', reject);
  });
  await Promise.race([started, finished]);
  return {
    async stop() {
      worker.postMessage('stop');
      const latencies = await finished;
      await worker.terminate();
      return latencies;
    },
  };
}
