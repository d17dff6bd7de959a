import { PerformanceEntry, PerformanceObserver, constants } from 'node:perf_hooks';

/** One measurement of one side of a benchmark: a rate (higher is better) and any number of extra figures. */
export interface Measurement {
  rate: number;
  extra?: Record<string, number>;
}

export interface Benchmark {
  id: string;
  title: string;
  /** The unit of `rate`, such as "objects/s". */
  unit: string;
  baselineName: string;
  targetText: string;
  setup(): Promise<void>;
  /**
   * Runs both sides once, unmeasured, before the measured runs: for short
   * benchmarks whose first run would mostly time JIT compilation and the
   * filling of connection pools.
   */
  warmUp?: boolean;
  baseline(run: number): Promise<Measurement>;
  platform(run: number): Promise<Measurement>;
  /** Checks the target from the medians; returns what failed, or an empty list. */
  check(summary: BenchmarkSummary): string[];
  teardown(): Promise<void>;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
}

export interface BenchmarkSummary {
  id: string;
  title: string;
  unit: string;
  baselineName: string;
  targetText: string;
  baseline: Stats;
  platform: Stats;
  ratio: number;
  extra: Record<string, Stats>;
  failures: string[];
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Returns the value below which `quantile` of the samples fall (nearest rank). */
export function percentile(samples: number[], quantile: number): number {
  if (samples.length === 0) {
    return 0;
  }
  const sorted = [...samples].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
}

/**
 * Runs a benchmark's baseline and platform sides `runs` times each,
 * alternating which goes first, so drift on the machine hits both alike.
 */
export async function runInterleaved(benchmark: Benchmark, runs: number, log: (line: string) => void): Promise<BenchmarkSummary> {
  const baseline: Measurement[] = [];
  const platform: Measurement[] = [];
  if (benchmark.warmUp) {
    // The run number after the measured ones, so names derived from it stay unique.
    await benchmark.baseline(runs);
    await benchmark.platform(runs);
    log(`${benchmark.id} warm-up run done`);
  }
  for (let run = 0; run < runs; run += 1) {
    const order = run % 2 === 0 ? (['baseline', 'platform'] as const) : (['platform', 'baseline'] as const);
    for (const side of order) {
      const measurement = side === 'baseline' ? await benchmark.baseline(run) : await benchmark.platform(run);
      (side === 'baseline' ? baseline : platform).push(measurement);
      log(`${benchmark.id} run ${run + 1}/${runs} ${side}: ${measurement.rate.toFixed(1)} ${benchmark.unit} ${formatExtra(measurement.extra)}`);
    }
  }

  // Extra figures keep their name for the platform side and get a "baseline " prefix for the other.
  const extra: Record<string, Stats> = {};
  for (const [prefix, measurements] of [['', platform], ['baseline ', baseline]] as const) {
    const names = new Set(measurements.flatMap((measurement) => Object.keys(measurement.extra ?? {})));
    for (const name of names) {
      const values = measurements.map((measurement) => measurement.extra?.[name]).filter((value): value is number => value !== undefined);
      extra[`${prefix}${name}`] = stats(values);
    }
  }

  const summary: BenchmarkSummary = {
    id: benchmark.id,
    title: benchmark.title,
    unit: benchmark.unit,
    baselineName: benchmark.baselineName,
    targetText: benchmark.targetText,
    baseline: stats(baseline.map((measurement) => measurement.rate)),
    platform: stats(platform.map((measurement) => measurement.rate)),
    ratio: 0,
    extra,
    failures: [],
  };
  summary.ratio = summary.platform.median / summary.baseline.median;
  summary.failures = benchmark.check(summary);
  return summary;
}

function formatExtra(extra: Record<string, number> | undefined): string {
  if (!extra) {
    return '';
  }
  return Object.entries(extra)
    .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
    .join(' ');
}

export function formatStats(value: Stats, digits = 1): string {
  return `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`;
}

export interface MemoryPeaks {
  /** Resident set size of the whole process, including what earlier phases left behind. */
  rssMiB: number;
  /**
   * V8 heap in use plus buffers outside it, read right after each major
   * garbage collection, so it counts what the work keeps alive and not the
   * garbage it has yet to collect.
   */
  liveHeapMiB: number;
}

/**
 * Samples this process's memory until stopped and returns the peaks. With
 * `--expose-gc` (scripts/bench.sh passes it) a full collection runs first, so
 * what an earlier phase, such as seeding, left behind is gone.
 */
export function sampleMemory(intervalMs = 25): { stop(): MemoryPeaks } {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  const heapInUse = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.external;
  };
  let rss = process.memoryUsage().rss;
  let liveHeap = heapInUse();
  const timer = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
  }, intervalMs);
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((entry) => (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      liveHeap = Math.max(liveHeap, heapInUse());
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      clearInterval(timer);
      observer.disconnect();
      rss = Math.max(rss, process.memoryUsage().rss);
      // A last full collection, so a run too short for a major GC of its own still counts what it keeps alive.
      collect?.();
      liveHeap = Math.max(liveHeap, heapInUse());
      return { rssMiB: rss / 1_048_576, liveHeapMiB: liveHeap / 1_048_576 };
    },
  };
}

/** Memory peaks as extra figures of a measurement. */
export function memoryFigures(peaks: MemoryPeaks): Record<string, number> {
  return { 'peak RSS MiB': peaks.rssMiB, 'peak live heap MiB': peaks.liveHeapMiB };
}
