import { EventConsumer } from '@deletion/kafka';
import { ObservabilityModule, createMetricsRegistry, databaseCheck, kafkaCheck } from '@deletion/observability';
import { ServiceRuntime } from '@deletion/service-runtime';
import { DynamicModule, INestApplication, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createSecretKey } from 'node:crypto';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { DeletionRequestsController } from './deletion-requests/deletion-requests.controller';
import { DeletionRequestsService } from './deletion-requests/deletion-requests.service';
import { PlatformEventsHandler } from './directory/platform-events.handler';
import { WorkspaceContextCache } from './directory/workspace-context.cache';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { INTAKE_MIGRATIONS } from './migrations';
import { requireJsonBody } from './problem/json-content-type.middleware';
import { ProblemFilter } from './problem/problem.filter';
import { INTAKE_DATA_SOURCE, INTAKE_OUTBOX, INTAKE_RUNTIME } from './runtime.tokens';
import { RequestStatusHandler } from './status/request-status.handler';
import { DeadlineMonitor } from './deadlines/deadline-monitor';
import { Registry } from 'prom-client';
import { SuppressionsController } from './suppressions/suppressions.controller';
import { SuppressionsService } from './suppressions/suppressions.service';
import { AccountDeletionService } from './accounts/account-deletion.service';

export const INTAKE_SERVICE_NAME = 'request-intake';

@Module({})
class IntakeModule {
  static forRuntime(config: IntakeConfig, runtime: ServiceRuntime, registry: Registry): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        // A key object, made once: given the secret as a string, jsonwebtoken
        // first tries it as a public key and builds an exception per request.
        JwtModule.register({ secret: createSecretKey(Buffer.from(config.AUTH_JWT_SECRET, 'utf8')), verifyOptions: { algorithms: ['HS256'] } }),
        ObservabilityModule.forRoot(registry, { database: databaseCheck(runtime.dataSource), kafka: kafkaCheck(runtime.kafka) }),
      ],
      controllers: [DeletionRequestsController, SuppressionsController],
      providers: [
        { provide: INTAKE_CONFIG, useValue: config },
        { provide: INTAKE_RUNTIME, useValue: runtime },
        { provide: INTAKE_DATA_SOURCE, useValue: runtime.dataSource },
        { provide: INTAKE_OUTBOX, useValue: runtime.outbox },
        { provide: WorkspaceContextCache, useValue: new WorkspaceContextCache(config.DIRECTORY_CACHE_TTL) },
        DeletionRequestsService,
        SuppressionsService,
        AccountDeletionService,
        JwtAuthGuard,
      ],
    };
  }
}

export interface RunningIntake {
  app: INestApplication;
  runtime: ServiceRuntime;
  url: string;
  close(): Promise<void>;
}

/** Starts request-intake: migrations, the HTTP API with its OpenAPI page, and the consumer of platform and status events. */
export async function startIntake(config: IntakeConfig): Promise<RunningIntake> {
  const runtime = await ServiceRuntime.open({
    serviceName: INTAKE_SERVICE_NAME,
    schema: 'intake',
    database: config,
    kafka: config,
    migrations: INTAKE_MIGRATIONS,
  });

  const registry = createMetricsRegistry(INTAKE_SERVICE_NAME);
  const app = await NestFactory.create(IntakeModule.forRuntime(config, runtime, registry), { bufferLogs: false });
  app.use(requireJsonBody);
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Deletion platform API')
      .setDescription(
        'Request, follow and cancel deletions. Errors are application/problem+json (RFC 9457). Authenticate with a bearer JWT whose `sub` is your account id.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

  const consumer = new EventConsumer(runtime.kafka, {
    groupId: runtime.groupId(),
    topicPrefix: runtime.topicPrefix,
    maxAttempts: 8,
  });
  const directoryReads = app.get(WorkspaceContextCache);
  new PlatformEventsHandler(runtime.dataSource, runtime.groupId(), app.get(DeletionRequestsService), directoryReads).register(consumer);
  new RequestStatusHandler(runtime.dataSource, runtime.groupId(), app.get(DeletionRequestsService), directoryReads).register(consumer);
  await consumer.start();

  const deadlines = new DeadlineMonitor(runtime.dataSource, runtime.outbox, runtime.relay, registry, {
    alertBeforeMs: config.DEADLINE_ALERT_BEFORE,
    intervalMs: config.DEADLINE_CHECK_INTERVAL,
  });
  deadlines.start();

  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  new Logger('RequestIntake').log(`API listening on ${url} (OpenAPI page: ${url}/docs)`);

  return {
    app,
    runtime,
    url,
    async close() {
      await deadlines.stop();
      await consumer.stop();
      await app.close();
      await runtime.close();
    },
  };
}
