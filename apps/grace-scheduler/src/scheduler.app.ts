import { EventConsumer } from '@deletion/kafka';
import { ObservabilityModule, createMetricsRegistry, databaseCheck, kafkaCheck } from '@deletion/observability';
import { OutboxRelay } from '@deletion/persistence';
import { ServiceRuntime } from '@deletion/service-runtime';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SCHEDULER_MIGRATIONS } from './migrations';
import { SchedulerConfig } from './scheduler.config';
import { graceElapsedSource } from './timers/grace-elapsed.source';
import { GraceTimerLoop } from './timers/grace-timer.loop';
import { GraceTimersHandler } from './timers/grace-timers.handler';

export const SCHEDULER_SERVICE_NAME = 'grace-scheduler';

export interface RunningScheduler {
  runtime: ServiceRuntime;
  loop: GraceTimerLoop;
  close(): Promise<void>;
}

/** Starts grace-scheduler: the consumer that arms and cancels timers, the firing loop, and `/health` and `/metrics`. */
export async function startScheduler(config: SchedulerConfig): Promise<RunningScheduler> {
  const runtime = await ServiceRuntime.open({
    serviceName: SCHEDULER_SERVICE_NAME,
    schema: 'scheduler',
    database: config,
    kafka: config,
    migrations: SCHEDULER_MIGRATIONS,
  });

  const consumer = new EventConsumer(runtime.kafka, { groupId: runtime.groupId(), topicPrefix: runtime.topicPrefix, maxAttempts: 8 });
  new GraceTimersHandler(runtime.dataSource, runtime.groupId()).register(consumer);
  await consumer.start();

  const events = new OutboxRelay(runtime.dataSource, runtime.publisher, {
    schema: 'scheduler',
    batchSize: config.SCHEDULER_BATCH_SIZE,
    idleMs: 100,
    source: graceElapsedSource(runtime.topicPrefix),
  });
  events.start();
  const loop = new GraceTimerLoop(runtime.dataSource, events, {
    pollIntervalMs: config.SCHEDULER_POLL_INTERVAL,
    batchSize: config.SCHEDULER_BATCH_SIZE,
  });
  loop.start();

  const app = await NestFactory.create(
    ObservabilityModule.forRoot(createMetricsRegistry(SCHEDULER_SERVICE_NAME), { database: databaseCheck(runtime.dataSource), kafka: kafkaCheck(runtime.kafka) }),
  );
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  new Logger('GraceScheduler').log(`health and metrics on ${await app.getUrl()}`);

  return {
    runtime,
    loop,
    async close() {
      await consumer.stop();
      await loop.stop();
      await events.stop();
      await app.close();
      await runtime.close();
    },
  };
}
