import { EventConsumer } from '@deletion/kafka';
import { ObservabilityModule, createMetricsRegistry, databaseCheck, kafkaCheck } from '@deletion/observability';
import { ServiceRuntime } from '@deletion/service-runtime';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DeletionEmailsHandler } from './email/deletion-emails.handler';
import { Mailer } from './email/mailer';
import { CreateNotifierTables1733300300000 } from './migrations/1733300300000-create-notifier-tables';
import { StoreRequestScope1733300300001 } from './migrations/1733300300001-store-request-scope';
import { NotifierConfig } from './notifier.config';

export const NOTIFIER_SERVICE_NAME = 'notifier';

export interface RunningNotifier {
  runtime: ServiceRuntime;
  close(): Promise<void>;
}

/** Starts the notifier: the consumer that emails admins, and `/health` and `/metrics`. */
export async function startNotifier(config: NotifierConfig): Promise<RunningNotifier> {
  const runtime = await ServiceRuntime.open({
    serviceName: NOTIFIER_SERVICE_NAME,
    schema: 'notifier',
    database: config,
    kafka: config,
    migrations: [CreateNotifierTables1733300300000, StoreRequestScope1733300300001],
  });

  const mailer = new Mailer(config);
  const consumer = new EventConsumer(runtime.kafka, { groupId: runtime.groupId(), topicPrefix: runtime.topicPrefix, maxAttempts: 10 });
  new DeletionEmailsHandler(runtime.dataSource, mailer, runtime.groupId(), config.PUBLIC_API_URL, config.OPERATOR_EMAILS).register(consumer);
  await consumer.start();

  const app = await NestFactory.create(
    ObservabilityModule.forRoot(createMetricsRegistry(NOTIFIER_SERVICE_NAME), { database: databaseCheck(runtime.dataSource), kafka: kafkaCheck(runtime.kafka) }),
  );
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  new Logger('Notifier').log(`sending email through ${config.SMTP_HOST}:${config.SMTP_PORT}; health and metrics on ${await app.getUrl()}`);

  return {
    runtime,
    async close() {
      await consumer.stop();
      await app.close();
      mailer.close();
      await runtime.close();
    },
  };
}
