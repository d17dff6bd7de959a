import { EventConsumer } from '@deletion/kafka';
import { ObservabilityModule, createMetricsRegistry, databaseCheck, kafkaCheck } from '@deletion/observability';
import { ProductAreaRunner } from '@deletion/product-area-sdk';
import { ServiceRuntime } from '@deletion/service-runtime';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ArchivePurger } from './archive/archive-purger';
import { ARCHIVE_AREA_NAME, createArchiveArea } from './archive/archive.area';
import { ArchiveRewriter } from './archive/archive-rewriter';
import { createArchiveS3Client } from './archive/s3-client.factory';
import { ExecutorConfig } from './executor.config';
import { CreateExecutorTables1733300200000 } from './migrations/1733300200000-create-executor-tables';
import { PurgeTrackerHandler } from './tracking/purge-tracker.handler';

export const EXECUTOR_SERVICE_NAME = 'purge-executor';

export interface RunningExecutor {
  runtime: ServiceRuntime;
  /** Absent when PURGE_AREAS leaves the archive out. */
  archiveArea?: ProductAreaRunner;
  close(): Promise<void>;
}

/** Starts purge-executor: the purge tracker, the archive product area (when PURGE_AREAS has it), and `/health` and `/metrics`. */
export async function startExecutor(config: ExecutorConfig): Promise<RunningExecutor> {
  const runtime = await ServiceRuntime.open({
    serviceName: EXECUTOR_SERVICE_NAME,
    schema: 'executor',
    database: config,
    kafka: config,
    migrations: [CreateExecutorTables1733300200000],
  });

  const tracker = new EventConsumer(runtime.kafka, { groupId: runtime.groupId(), topicPrefix: runtime.topicPrefix, maxAttempts: 8 });
  new PurgeTrackerHandler(runtime.dataSource, runtime.outbox, runtime.relay, runtime.groupId(), config.PURGE_AREAS).register(tracker);
  await tracker.start();

  // A deployment whose purges do not wait for the archive (PURGE_AREAS
  // without "archive") has no archive to purge, so its area does not run.
  const s3 = config.PURGE_AREAS.includes(ARCHIVE_AREA_NAME) ? createArchiveS3Client(config) : undefined;
  const archiveArea = s3 && new ProductAreaRunner({
    area: createArchiveArea(new ArchivePurger(s3, config.S3_BUCKET), new ArchiveRewriter(s3, config.S3_BUCKET)),
    dataSource: runtime.dataSource,
    schema: 'area_archive',
    kafka: runtime.kafka,
    topicPrefix: runtime.topicPrefix,
    retryPolicy: {
      maxAttempts: config.ARCHIVE_PURGE_MAX_ATTEMPTS,
      initialDelayMs: config.ARCHIVE_PURGE_RETRY_DELAY,
      maxDelayMs: Math.max(config.ARCHIVE_PURGE_RETRY_DELAY, 300_000),
    },
    pollIntervalMs: config.AREA_POLL_INTERVAL,
  });
  await archiveArea?.start();

  const app = await NestFactory.create(
    ObservabilityModule.forRoot(createMetricsRegistry(EXECUTOR_SERVICE_NAME), { database: databaseCheck(runtime.dataSource), kafka: kafkaCheck(runtime.kafka) }),
  );
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  new Logger('PurgeExecutor').log(`health and metrics on ${await app.getUrl()}; waiting for areas ${config.PURGE_AREAS.join(', ')}`);

  return {
    runtime,
    archiveArea,
    async close() {
      await tracker.stop();
      await archiveArea?.stop();
      await app.close();
      s3?.destroy();
      await runtime.close();
    },
  };
}
