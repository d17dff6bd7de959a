import 'reflect-metadata';
import { LogLevel, Logger } from '@nestjs/common';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { archivePurgeBenchmark } from './p1-archive-purge.bench';
import { archiveRewriteBenchmark } from './p2-archive-rewrite.bench';
import { areaDeleteBenchmark } from './p3-area-delete.bench';
import { outboxRelayBenchmark } from './p4-outbox-relay.bench';
import { intakeBenchmark } from './p5-intake.bench';
import { graceSchedulerBenchmark } from './p6-grace-scheduler.bench';
import { endToEndBenchmark } from './p7-end-to-end.bench';
import { Benchmark, BenchmarkSummary, formatStats, runInterleaved } from './support/harness';

/**
 * Runs the benchmarks: `npm run bench` (quick) or `npm run bench -- --full`,
 * optionally `--only P1,P3`. Prints a table and writes docs/benchmarks.md
 * (a run with --only writes .tmp/benchmarks-partial.md instead).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set(args[onlyIndex + 1]?.split(',')) : undefined;
  const runs = 5;
  Logger.overrideLogger((process.env.BENCH_LOG_LEVELS ?? 'error').split(',') as LogLevel[]);

  const benchmarks: Benchmark[] = [
    archivePurgeBenchmark({ full }),
    archiveRewriteBenchmark({ full }),
    areaDeleteBenchmark({ full }),
    outboxRelayBenchmark({ full }),
    intakeBenchmark({ full }),
    graceSchedulerBenchmark({ full }),
    endToEndBenchmark({ full }),
  ].filter((benchmark) => !only || only.has(benchmark.id));
  const summaries: BenchmarkSummary[] = [];
  for (const benchmark of benchmarks) {
    console.log(`\n${benchmark.id}: ${benchmark.title}`);
    await benchmark.setup();
    try {
      summaries.push(await runInterleaved(benchmark, runs, (line) => console.log(`  ${line}`)));
    } finally {
      await benchmark.teardown();
    }
  }

  const table = renderTable(summaries);
  console.log(`\n${table}`);
  const command = `npm run bench${full ? ' -- --full' : ''}${only ? ` ${full ? '' : '-- '}--only ${[...only].join(',')}` : ''}`;
  // A partial run (--only) does not replace the record of a complete one.
  const output = only ? join(__dirname, '..', '.tmp', 'benchmarks-partial.md') : join(__dirname, '..', 'docs', 'benchmarks.md');
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, renderDocument(command, full, runs, table, summaries));
  console.log(`\nwrote ${output}`);
  const failed = summaries.filter((summary) => summary.failures.length > 0);
  if (failed.length > 0) {
    console.log(`\ntargets missed: ${failed.map((summary) => `${summary.id} (${summary.failures.join('; ')})`).join(', ')}`);
  }
}

function renderTable(summaries: BenchmarkSummary[]): string {
  const rows = [
    '| id | what | platform, median (min–max) | baseline, median (min–max) | ratio | other figures (platform unless marked) | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const summary of summaries) {
    const extra = Object.entries(summary.extra)
      .map(([name, value]) => `${name}: ${formatStats(value, 2)}`)
      .join('<br>');
    rows.push(
      `| ${summary.id} | ${summary.title} | ${formatStats(summary.platform)} ${summary.unit} | ${formatStats(summary.baseline)} ${summary.unit} (${summary.baselineName}) | ${summary.ratio.toFixed(2)} | ${extra} | ${summary.targetText} | ${summary.failures.length === 0 ? 'yes' : `no: ${summary.failures.join('; ')}`} |`,
    );
  }
  return rows.join('\n');
}

function renderDocument(command: string, full: boolean, runs: number, table: string, summaries: BenchmarkSummary[]): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    '# Benchmarks',
    '',
    'Each benchmark measures a hot path of the platform against the fastest thing the same components can do, in the same run on the same machine.',
    `Both sides ran ${runs} times, interleaved (the order alternates each run); the table gives the median and the spread (min–max), and the ratio of the medians. P5 and P7 first run both sides once unmeasured, to warm up the JIT and the connection pools.`,
    '',
    `- Command: \`${command}\` (${full ? 'full' : 'quick'} mode)`,
    `- Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 1_073_741_824).toFixed(0)} GiB, Node.js ${process.version}, ${process.platform}`,
    `- Date: ${new Date().toISOString().slice(0, 10)}`,
    '- Components: Kafka 4.1.2 (single KRaft node), S3Proxy 3.3.0 (transient store), PostgreSQL on 127.0.0.1, all on this machine',
    '- What limits the missed targets, and what was changed for them: [benchmark-notes.md](benchmark-notes.md)',
    '',
    table,
    '',
    ...summaries.flatMap((summary) => (summary.failures.length > 0 ? [`${summary.id} missed its target: ${summary.failures.join('; ')}.`] : [])),
    '',
  ].join('\n');
}

main().catch((error: Error) => {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exit(1);
});
