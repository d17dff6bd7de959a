import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ArchivedEvent, encodeArchiveObject } from '@deletion/archive-layout';
import { TestEnvironment } from '@deletion/testing';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { ArchiveRewriter } from '../apps/purge-executor/src/archive/archive-rewriter';
import { BenchOptions, createBenchEnvironment } from './support/bench-environment';
import { Benchmark, MemoryPeaks, Measurement, memoryFigures, sampleMemory } from './support/harness';

const SUBJECT_COUNTS = [1, 10, 100] as const;
const USERS = 1_000;
const CONCURRENCY = 8;

/**
 * P2: removing 1, 10 and 100 end users from archive objects with the
 * archive's rewriter, which streams each object once and writes back only
 * the objects that changed. The baseline is a bare stream per object that
 * gunzips, drops lines by a set lookup, gzips and writes back, on the same
 * objects on the same S3 server. The rate is megabytes of gzipped input per second;
 * the benchmark's headline rate is the 100-subject one.
 */
export function archiveRewriteBenchmark(options: BenchOptions): Benchmark {
  const objectCount = options.full ? 200 : 40;
  const eventsPerObject = 4_000;
  let env: TestEnvironment;
  let rewriter: ArchiveRewriter;
  let bodies: Buffer[];
  let totalMegabytes: number;

  const upload = async (prefix: string) => {
    await runConcurrently(bodies.map((body, index) => ({ body, index })), CONCURRENCY, ({ body, index }) =>
      env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}object-${index}.jsonl.gz`, Body: body })).then(() => undefined),
    );
  };

  const bareRewrite = async (prefix: string, subjects: Set<string>) => {
    await runConcurrently(bodies.map((_, index) => index), CONCURRENCY, async (index) => {
      const key = `${prefix}object-${index}.jsonl.gz`;
      const response = await env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: key }));
      const kept: string[] = [];
      const lines = createInterface({ input: (response.Body as Readable).pipe(createGunzip()), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.length > 0 && !subjects.has((JSON.parse(line) as ArchivedEvent).userId ?? '')) {
          kept.push(line);
        }
      }
      await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: gzipSync(kept.join('\n') + '\n') }));
    });
  };

  const measure = async (side: 'baseline' | 'platform', run: number): Promise<Measurement> => {
    const extra: Record<string, number> = {};
    const peaks: MemoryPeaks[] = [];
    for (const count of SUBJECT_COUNTS) {
      const prefix = `bench-p2-${side}-${run}-${count}/`;
      const subjects = Array.from({ length: count }, (_, index) => `user-${index * Math.floor(USERS / count)}`);
      await upload(prefix);
      // Sampled around the rewrite only, so the upload's buffers do not count.
      const memory = side === 'platform' ? sampleMemory() : undefined;
      const started = performance.now();
      if (side === 'baseline') {
        await bareRewrite(prefix, new Set(subjects));
      } else {
        await rewriter.removeSubjects(prefix, 'userId', subjects);
      }
      extra[`MB/s ${count} subjects`] = totalMegabytes / ((performance.now() - started) / 1_000);
      if (memory) {
        peaks.push(memory.stop());
      }
    }
    if (peaks.length > 0) {
      Object.assign(extra, memoryFigures({ rssMiB: Math.max(...peaks.map((peak) => peak.rssMiB)), liveHeapMiB: Math.max(...peaks.map((peak) => peak.liveHeapMiB)) }));
    }
    return { rate: extra['MB/s 100 subjects'], extra };
  };

  return {
    id: 'P2',
    title: `end-user removal from ${objectCount} archive objects (${eventsPerObject.toLocaleString('en-US')} events each)`,
    unit: 'MB/s (100 subjects)',
    baselineName: 'bare gunzip, set lookup, gzip stream per object',
    targetText: '≥ 0.8 for 1, 10 and 100 subjects; 100-subject rate ≥ 0.9 × 1-subject rate',
    async setup() {
      env = await createBenchEnvironment();
      rewriter = new ArchiveRewriter(env.s3, env.bucket);
      bodies = Array.from({ length: objectCount }, (_, objectIndex) =>
        encodeArchiveObject(
          Array.from({ length: eventsPerObject }, (_, index) => ({
            messageId: `${objectIndex}-${index}`,
            type: 'track',
            userId: `user-${(objectIndex * 7 + index) % USERS}`,
            anonymousId: `anon-${index % 97}`,
            timestamp: '2024-03-10T12:00:00.000Z',
            properties: { event: 'Page Viewed', path: `/products/${index % 300}`, plan: 'pro' },
          })),
        ),
      );
      totalMegabytes = bodies.reduce((sum, body) => sum + body.length, 0) / 1_000_000;
    },
    baseline: (run) => measure('baseline', run),
    platform: (run) => measure('platform', run),
    check(summary) {
      const failures: string[] = [];
      for (const count of SUBJECT_COUNTS) {
        const platform = summary.extra[`MB/s ${count} subjects`]?.median ?? 0;
        const baseline = summary.extra[`baseline MB/s ${count} subjects`]?.median ?? Infinity;
        if (platform / baseline < 0.8) {
          failures.push(`${count} subjects: ratio ${(platform / baseline).toFixed(2)} < 0.8`);
        }
      }
      const one = summary.extra['MB/s 1 subjects']?.median ?? Infinity;
      const hundred = summary.extra['MB/s 100 subjects']?.median ?? 0;
      if (hundred / one < 0.9) {
        failures.push(`100-subject rate is ${(hundred / one).toFixed(2)} × the 1-subject rate`);
      }
      return failures;
    },
    async teardown() {
      await env?.dispose();
    },
  };
}

async function runConcurrently<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        await work(items[next++]);
      }
    }),
  );
}
