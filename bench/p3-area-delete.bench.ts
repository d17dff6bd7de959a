import { EventPublisher } from '@deletion/kafka';
import { RunningProductArea } from '@deletion/product-area-sdk';
import { TestEnvironment, stableUuid } from '@deletion/testing';
import { Client } from 'pg';
import { startProfilesArea } from '../e2e/support/platform';
import { BenchOptions, createBenchEnvironment, until } from './support/bench-environment';
import { publishWorkspacePurgeOrder } from './support/purge-order';
import { Benchmark, Measurement, percentile } from './support/harness';
import { startKeyReader } from './support/key-reader';

const OTHER_WORKSPACE = stableUuid('bench:p3:other');

/**
 * P3: the profiles area deleting one workspace's rows through its runner
 * (purge.due, task, delete and acknowledgement in one transaction) against
 * one bare DELETE on an identical copy of the table. Meanwhile pgbench
 * fetches another workspace's profiles by primary key, 400 times a second.
 * Its p99 latency is compared with the same reader on the idle database,
 * timed at the start of the same run: a reference timed once at set-up
 * varied from 0.36 to 0.68 ms between invocations on one machine.
 */
export function areaDeleteBenchmark(options: BenchOptions): Benchmark {
  const rows = options.full ? 1_000_000 : 200_000;
  let env: TestEnvironment;
  let area: RunningProductArea;
  let publisher: EventPublisher;
  let database: Client;

  const fill = (table: string, workspaceId: string) =>
    database.query(
      `INSERT INTO ${table} (workspace_id, user_id, anonymous_id, traits)
       SELECT $1, 'user-' || n, 'anon-' || n, '{"plan": "pro", "seats": 12}' FROM generate_series(1, $2) AS n`,
      [workspaceId, rows],
    );

  /** Times the reader for two seconds while nothing else runs, and returns the p99 latency. */
  const idleReadP99 = async () => {
    const idle = await startReader();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return percentile(await idle.stop(), 0.99);
  };

  /** Reads the other workspace's profiles by key with pgbench until stopped. */
  const startReader = () =>
    startKeyReader({
      databaseUrl: env.databaseUrl,
      sql: `SELECT * FROM area_profiles.profiles WHERE workspace_id = :workspace AND user_id = 'user-' || :key`,
      workspaceId: OTHER_WORKSPACE,
      keys: 1_000,
      ratePerSecond: 400,
    });

  return {
    id: 'P3',
    title: `product area deleting one workspace (${rows.toLocaleString('en-US')} rows)`,
    unit: 'rows/s',
    baselineName: 'bare DELETE ... WHERE workspace_id = $1 on a copy',
    targetText: '≥ 0.6, concurrent read p99 ≤ 3 × idle',
    async setup() {
      env = await createBenchEnvironment();
      // The service's default poll interval: a purge.due that finds a free slot starts at once, so polling faster only adds queries beside the reads.
      area = await startProfilesArea(env.env({ AREA_POLL_INTERVAL: '500ms' }));
      publisher = new EventPublisher(env.kafka, env.topicPrefix);
      database = new Client({ connectionString: env.databaseUrl });
      await database.connect();
      await database.query('CREATE TABLE area_profiles.profiles_copy (LIKE area_profiles.profiles INCLUDING ALL)');
      await database.query(
        `INSERT INTO area_profiles.profiles (workspace_id, user_id) SELECT $1, 'user-' || n FROM generate_series(0, 999) AS n`,
        [OTHER_WORKSPACE],
      );
    },
    async baseline(run): Promise<Measurement> {
      const workspaceId = stableUuid(`bench:p3:baseline:${run}`);
      const idleP99 = await idleReadP99();
      await fill('area_profiles.profiles_copy', workspaceId);
      await database.query('VACUUM ANALYZE area_profiles.profiles_copy');
      const reader = await startReader();
      const started = performance.now();
      await database.query('DELETE FROM area_profiles.profiles_copy WHERE workspace_id = $1', [workspaceId]);
      const seconds = (performance.now() - started) / 1_000;
      const reads = await reader.stop();
      const readP99 = percentile(reads, 0.99);
      return { rate: rows / seconds, extra: { 'read p99 ms': readP99, 'read p99 / idle': readP99 / idleP99, 'idle read p99 ms': idleP99, reads: reads.length } };
    },
    async platform(run): Promise<Measurement> {
      const workspaceId = stableUuid(`bench:p3:platform:${run}`);
      const requestId = stableUuid(`bench:p3:request:${run}`);
      const idleP99 = await idleReadP99();
      await fill('area_profiles.profiles', workspaceId);
      await database.query('VACUUM ANALYZE area_profiles.profiles');
      const reader = await startReader();
      const started = performance.now();
      await publishWorkspacePurgeOrder(publisher, workspaceId, requestId);
      await until(
        async () => (await database.query(`SELECT status FROM area_profiles.purge_tasks WHERE request_id = $1`, [requestId])).rows[0]?.status === 'succeeded',
        600_000,
        `purge task ${requestId}`,
      );
      const seconds = (performance.now() - started) / 1_000;
      const reads = await reader.stop();
      const readP99 = percentile(reads, 0.99);
      return { rate: rows / seconds, extra: { 'read p99 ms': readP99, 'read p99 / idle': readP99 / idleP99, 'idle read p99 ms': idleP99, reads: reads.length } };
    },
    check(summary) {
      const failures: string[] = [];
      if (summary.ratio < 0.6) {
        failures.push(`ratio ${summary.ratio.toFixed(2)} < 0.6`);
      }
      const slowdown = summary.extra['read p99 / idle']?.median ?? Infinity;
      if (slowdown > 3) {
        failures.push(`concurrent read p99 is ${slowdown.toFixed(1)} × idle`);
      }
      return failures;
    },
    async teardown() {
      await database?.end();
      await publisher?.disconnect();
      await area?.close();
      await env?.dispose();
    },
  };
}
