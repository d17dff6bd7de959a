import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Times reads with pgbench, PostgreSQL's own benchmarking client, in a
 * process of its own. A reader written with node-postgres measured mostly
 * itself: on two cores its JavaScript waited for a core whenever the
 * deleting backend held one, and its p99 rose three to seven times during a
 * bare DELETE while pgbench, reading the same rows at the same rate, saw
 * 0.7 to 1.8 times idle (docs/benchmark-notes.md, P3).
 */
const PGBENCH = process.env.PGBENCH ?? 'pgbench';
/** pgbench stops by itself after this long if the benchmark never stops it. */
const MAX_SECONDS = 1_800;
/**
 * pgbench writes its log through a 4 KiB stdio buffer and loses what the
 * buffer holds when it is interrupted: about a hundred reads, a quarter of
 * a second at 400 reads per second. It keeps reading this long after the
 * window closes, so every read inside the window is on disk.
 */
const FLUSH_MS = 1_000;

export interface KeyReaderOptions {
  databaseUrl: string;
  /** A query with :workspace (the workspace id) and :key (a number from 0 to keys - 1). */
  sql: string;
  workspaceId: string;
  keys: number;
  /** Reads per second, scheduled at random intervals by pgbench. */
  ratePerSecond: number;
}

export interface KeyReader {
  /** Stops reading; returns the latency in milliseconds of each read that completed since the reader was ready. */
  stop(): Promise<number[]>;
}

/**
 * Starts pgbench reading rows by key. Resolves once it reads; `stop()`
 * returns the latencies of the reads between the two calls, measured from
 * each read's start, without the wait for its scheduled start.
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

  // pgbench reports its connection on stderr before the first read.
  await Promise.race([new Promise((resolve) => setTimeout(resolve, 500)), exited]);
  if (child.exitCode !== null) {
    await exited;
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
          // client, transaction, elapsed µs, script, completed at (s, µs), wait for the scheduled start µs
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
