import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Times reads with pgbench, PostgreSQL's own benchmarking client, in a
 * process of its own. A node-postgres reader mostly timed its own JavaScript
 * waiting for a core while the deleting backend held one of the two.
 * During a bare DELETE its p99 rose to 1.4 to 4.1 times idle, and pgbench
 * reading the same rows at the same rate saw 0.7 to 1.8 times idle.
 */
const PGBENCH = process.env.PGBENCH ?? 'pgbench';
/** Seconds after which pgbench exits by itself if the benchmark never stops it. */
const MAX_SECONDS = 1_800;
/**
 * Milliseconds pgbench keeps reading after the window closes. It buffers its
 * log and loses the buffer when interrupted (about 60 reads when tried at 400
 * reads a second), so the reads of the window are on disk before the stop.
 */
const FLUSH_MS = 1_000;

export interface KeyReaderOptions {
  databaseUrl: string;
  /** A query with :workspace (the workspace id) and :key (a number from 0 to keys - 1). */
  sql: string;
  workspaceId: string;
  keys: number;
  /** Reads per second, which pgbench starts at random intervals. */
  ratePerSecond: number;
}

export interface KeyReader {
  /** Stops reading and returns the latency in milliseconds of each read completed since the reader was ready. */
  stop(): Promise<number[]>;
}

/**
 * Starts pgbench reading rows by key and resolves half a second later, once
 * it has connected. Each latency runs from the read's actual start, not from
 * its scheduled start.
 */
export async function startKeyReader(options: KeyReaderOptions): Promise<KeyReader> {
  const directory = mkdtempSync(join(tmpdir(), 'dp-bench-reader-'));
  const script = join(directory, 'read.sql');
  writeFileSync(script, `\\set key random(0, ${options.keys - 1})\n${options.sql};\n`);
  const child: ChildProcess = spawn(
    PGBENCH,
    [
      '--no-vacuum',
      '--client=1',
      '--protocol=extended',
      `--rate=${options.ratePerSecond}`,
      `--time=${MAX_SECONDS}`,
      `--define=workspace=${options.workspaceId}`,
      `--file=${script}`,
      '--log',
      `--log-prefix=${join(directory, 'reads')}`,
      options.databaseUrl,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(`${PGBENCH} was not found. P3 times its concurrent reads with pgbench, which comes with the PostgreSQL server packages; install it or set PGBENCH to its path.`)
          : error,
      ),
    );
    child.once('exit', (code, signal) =>
      signal === 'SIGINT' || code === 0 ? resolve() : reject(new Error(`pgbench exited with status ${code}: ${stderr.trim()}`)),
    );
  });
  exited.catch(() => undefined);

  // Half a second lets pgbench connect and start reading. A failed start rejects `exited` and so the race.
  await Promise.race([new Promise((resolve) => setTimeout(resolve, 500)), exited]);
  if (child.exitCode !== null) {
    throw new Error(`pgbench exited with status ${child.exitCode} before reading: ${stderr.trim()}`);
  }
  const windowStart = Date.now();

  return {
    async stop() {
      const windowEnd = Date.now();
      await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
      child.kill('SIGINT');
      await exited;
      const latencies: number[] = [];
      for (const file of readdirSync(directory).filter((name) => name.startsWith('reads'))) {
        for (const line of readFileSync(join(directory, file), 'utf8').split('\n')) {
          // Fields: client, transaction, µs since the scheduled start, script, completion time (s, µs), µs of lag behind the schedule.
          const fields = line.split(' ').map(Number);
          if (fields.length < 7) {
            continue;
          }
          const completedAt = fields[4] * 1_000 + fields[5] / 1_000;
          if (completedAt >= windowStart && completedAt <= windowEnd) {
            latencies.push((fields[2] - fields[6]) / 1_000);
          }
        }
      }
      rmSync(directory, { recursive: true, force: true });
      return latencies;
    },
  };
}
