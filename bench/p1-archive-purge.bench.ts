import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { EventPublisher } from '@deletion/kafka';
import { S3FaultProxy, TestEnvironment, seedArchive, stableUuid } from '@deletion/testing';
import { RunningExecutor, startExecutor } from '../apps/purge-executor/src/executor.app';
import { loadExecutorConfig } from '../apps/purge-executor/src/executor.config';
import { BenchOptions, createBenchEnvironment, until } from './support/bench-environment';
import { publishWorkspacePurgeOrder } from './support/purge-order';
import { Benchmark, Measurement, memoryFigures, sampleMemory } from './support/harness';

/**
 * P1: a workspace's archive purged through purge-executor (purge.due in,
 * task, S3 purge, status updates, acknowledgement, tracker) against a bare
 * loop of ListObjectsV2 and DeleteObjects on the same S3 server. Both go
 * through a counting proxy, which counts S3 requests and costs both alike.
 */
export function archivePurgeBenchmark(options: BenchOptions): Benchmark {
  const objects = options.full ? 100_000 : 5_000;
  let env: TestEnvironment;
  let proxy: S3FaultProxy;
  let client: S3Client;
  let executor: RunningExecutor;
  let publisher: EventPublisher;

  const seed = async (workspaceId: string) => {
    await seedArchive(
      env.s3,
      env.bucket,
      { workspaceId, sourceId: stableUuid('bench:p1:source'), days: ['2024-01-01'], objectsPerDay: objects, usersPerObject: 1, eventsPerUser: 1 },
      64,
    );
    proxy.requests.length = 0;
  };

  return {
    id: 'P1',
    title: `archive purge of one workspace (${objects.toLocaleString('en-US')} objects)`,
    unit: 'objects/s',
    baselineName: 'bare ListObjectsV2 + DeleteObjects loop',
    targetText: '≥ 0.9, and ≤ 2.2 S3 requests per 1,000 objects',
    async setup() {
      env = await createBenchEnvironment();
      proxy = new S3FaultProxy(env.components.s3Endpoint, env.s3);
      const endpoint = await proxy.start();
      client = new S3Client({
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: env.components.s3AccessKeyId, secretAccessKey: env.components.s3SecretAccessKey },
      });
      executor = await startExecutor(loadExecutorConfig(env.env({ PURGE_AREAS: 'archive', S3_ENDPOINT: endpoint, AREA_POLL_INTERVAL: '20ms' })));
      publisher = new EventPublisher(env.kafka, env.topicPrefix);
    },
    async baseline(run): Promise<Measurement> {
      const workspaceId = stableUuid(`bench:p1:baseline:${run}`);
      await seed(workspaceId);
      const started = performance.now();
      let deleted = 0;
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: `${workspaceId}/`, ContinuationToken: token }));
        const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key }));
        if (keys.length > 0) {
          await client.send(new DeleteObjectsCommand({ Bucket: env.bucket, Delete: { Objects: keys, Quiet: true } }));
          deleted += keys.length;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const seconds = (performance.now() - started) / 1_000;
      return { rate: deleted / seconds, extra: { 'requests per 1,000 objects': (proxy.requests.length / deleted) * 1_000 } };
    },
    async platform(run): Promise<Measurement> {
      const workspaceId = stableUuid(`bench:p1:platform:${run}`);
      const requestId = stableUuid(`bench:p1:request:${run}`);
      await seed(workspaceId);
      const memory = sampleMemory();
      const started = performance.now();
      await publishWorkspacePurgeOrder(publisher, workspaceId, requestId);
      await until(
        async () => {
          const rows = await executor.runtime.dataSource.query(`SELECT status FROM executor.purges WHERE request_id = $1`, [requestId]);
          return rows[0]?.status === 'completed';
        },
        600_000,
        `purge ${requestId} to complete`,
      );
      const seconds = (performance.now() - started) / 1_000;
      return {
        rate: objects / seconds,
        extra: { 'requests per 1,000 objects': (proxy.requests.length / objects) * 1_000, ...memoryFigures(memory.stop()) },
      };
    },
    check(summary) {
      const failures: string[] = [];
      if (summary.ratio < 0.9) {
        failures.push(`ratio ${summary.ratio.toFixed(2)} < 0.9`);
      }
      const requests = summary.extra['requests per 1,000 objects']?.median ?? Infinity;
      if (requests > 2.2) {
        failures.push(`${requests.toFixed(2)} S3 requests per 1,000 objects > 2.2`);
      }
      return failures;
    },
    async teardown() {
      await publisher?.disconnect();
      await executor?.close();
      client?.destroy();
      await proxy?.stop();
      await env?.dispose();
    },
  };
}
