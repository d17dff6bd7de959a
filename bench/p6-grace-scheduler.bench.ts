import { OutboxRelay } from '@deletion/persistence';
import { ServiceRuntime } from '@deletion/service-runtime';
import { TestEnvironment } from '@deletion/testing';
import { loadSchedulerConfig } from '../apps/grace-scheduler/src/scheduler.config';
import { SCHEDULER_MIGRATIONS } from '../apps/grace-scheduler/src/migrations';
import { graceElapsedSource } from '../apps/grace-scheduler/src/timers/grace-elapsed.source';
import { GraceTimerLoop } from '../apps/grace-scheduler/src/timers/grace-timer.loop';
import { BenchOptions, createBenchEnvironment, until } from './support/bench-environment';
import { Benchmark, Measurement, percentile } from './support/harness';

const POLL_INTERVAL_MS = 1_000;

/**
 * P6: grace-scheduler firing due timers (claim and mark fired, while the
 * relay publishes their grace.elapsed events on the same two cores) against
 * a bare claim loop of `UPDATE ... FOR UPDATE SKIP LOCKED` on a copy of the
 * table. A second phase spreads the timers over a window and measures how
 * late each fires and is published, and whether any fires early.
 */
export function graceSchedulerBenchmark(options: BenchOptions): Benchmark {
  const timers = options.full ? 100_000 : 20_000;
  const windowSeconds = options.full ? 60 : 20;
  let env: TestEnvironment;
  let runtime: ServiceRuntime;
  let loop: GraceTimerLoop;
  let events: OutboxRelay;
  const unpublished = async () =>
    Number((await runtime.dataSource.query(`SELECT count(*) FROM scheduler.grace_timers WHERE state = 'fired' AND published_at IS NULL`))[0].count);

  const insertTimers = (table: string, offsetSql: string) =>
    runtime.dataSource.query(
      `INSERT INTO ${table} (request_id, workspace_id, grace_ends_at, state)
       SELECT gen_random_uuid(), gen_random_uuid(), ${offsetSql}, 'pending' FROM generate_series(1, $1) AS n`,
      [timers],
    );

  return {
    id: 'P6',
    title: `grace-scheduler firing ${timers.toLocaleString('en-US')} due timers`,
    unit: 'timers/s',
    baselineName: 'bare UPDATE ... FOR UPDATE SKIP LOCKED claim loop',
    targetText: `≥ 0.8; none early; lag p99 ≤ poll interval + 1 s (timers spread over ${windowSeconds} s)`,
    async setup() {
      env = await createBenchEnvironment();
      const config = loadSchedulerConfig(env.env());
      runtime = await ServiceRuntime.open({
        serviceName: 'grace-scheduler',
        schema: 'scheduler',
        database: config,
        kafka: config,
        migrations: SCHEDULER_MIGRATIONS,
      });
      events = new OutboxRelay(runtime.dataSource, runtime.publisher, { schema: 'scheduler', batchSize: 500, idleMs: 100, source: graceElapsedSource(runtime.topicPrefix) });
      events.start();
      loop = new GraceTimerLoop(runtime.dataSource, events, { pollIntervalMs: POLL_INTERVAL_MS, batchSize: 500 });
      await runtime.dataSource.query('CREATE TABLE scheduler.bench_timers (LIKE scheduler.grace_timers INCLUDING ALL)');
    },
    async baseline(): Promise<Measurement> {
      await insertTimers('scheduler.bench_timers', "now() - interval '1 second'");
      const started = performance.now();
      let fired = 0;
      for (;;) {
        const rows: unknown[] = await runtime.dataSource.transaction((manager) =>
          manager.query(
            `UPDATE scheduler.bench_timers SET state = 'fired', fired_at = now()
              WHERE request_id IN (SELECT request_id FROM scheduler.bench_timers WHERE state = 'pending' AND grace_ends_at <= now()
                                    ORDER BY grace_ends_at LIMIT 500 FOR UPDATE SKIP LOCKED)
              RETURNING request_id`,
          ),
        );
        const count = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
        if (count === 0) {
          break;
        }
        fired += count;
      }
      await runtime.dataSource.query('TRUNCATE scheduler.bench_timers');
      return { rate: fired / ((performance.now() - started) / 1_000) };
    },
    async platform(run): Promise<Measurement> {
      await insertTimers('scheduler.grace_timers', "now() - interval '1 second'");
      const started = performance.now();
      let fired = 0;
      for (let batch = await loop.fireDueTimers(); batch > 0; batch = await loop.fireDueTimers()) {
        fired += batch;
      }
      const rate = fired / ((performance.now() - started) / 1_000);
      await until(async () => (await unpublished()) === 0, 300_000, 'the relay to publish', 50);
      const publishedAfterMs = performance.now() - started;
      await runtime.dataSource.query('TRUNCATE scheduler.grace_timers');

      const extra: Record<string, number> = { 'all published after s': publishedAfterMs / 1_000 };
      if (run % 2 === 0) {
        await insertTimers('scheduler.grace_timers', `now() + make_interval(secs => random() * ${windowSeconds})`);
        loop.start();
        await until(
          async () => Number((await runtime.dataSource.query(`SELECT count(*) FROM scheduler.grace_timers WHERE state = 'pending'`))[0].count) === 0,
          (windowSeconds + 60) * 1_000,
          'every spread timer to fire',
          200,
        );
        await loop.stop();
        await until(async () => (await unpublished()) === 0, 60_000, 'the relay to publish the spread timers', 50);
        const lags: Array<{ lag_ms: number; publish_lag_ms: number }> = await runtime.dataSource.query(
          `SELECT extract(epoch FROM fired_at - grace_ends_at) * 1000 AS lag_ms,
                  extract(epoch FROM published_at - grace_ends_at) * 1000 AS publish_lag_ms
             FROM scheduler.grace_timers`,
        );
        const values = lags.map((row) => Number(row.lag_ms));
        extra['lag p99 ms'] = percentile(values, 0.99);
        extra['lag to publish p99 ms'] = percentile(lags.map((row) => Number(row.publish_lag_ms)), 0.99);
        extra['fired early'] = values.filter((lag) => lag < 0).length;
        await runtime.dataSource.query('TRUNCATE scheduler.grace_timers');
      }
      return { rate, extra };
    },
    check(summary) {
      const failures: string[] = [];
      if (summary.ratio < 0.8) {
        failures.push(`ratio ${summary.ratio.toFixed(2)} < 0.8`);
      }
      if ((summary.extra['fired early']?.max ?? 0) > 0) {
        failures.push(`${summary.extra['fired early'].max} timers fired early`);
      }
      const lag = summary.extra['lag p99 ms']?.max ?? Infinity;
      if (lag > POLL_INTERVAL_MS + 1_000) {
        failures.push(`lag p99 ${lag.toFixed(0)} ms > ${POLL_INTERVAL_MS + 1_000} ms`);
      }
      return failures;
    },
    async teardown() {
      await events?.stop();
      await runtime?.close();
      await env?.dispose();
    },
  };
}
