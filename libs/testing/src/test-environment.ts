import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createKafka, ensureTopics, platformTopicNames } from '@deletion/kafka';
import { Kafka } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SmtpCapture } from './smtp-capture';

/** Returns the addresses of the components that `npm test` started; each can be overridden to test against other servers. */
export function testComponents() {
  return {
    kafkaBrokers: process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:29092',
    s3Endpoint: process.env.TEST_S3_ENDPOINT ?? 'http://127.0.0.1:29000',
    s3AccessKeyId: process.env.TEST_S3_ACCESS_KEY_ID ?? 'local-dev',
    s3SecretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY ?? 'local-dev-secret',
    postgresUrl: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  };
}

/**
 * An isolated slice of the shared components for one test file: its own
 * database, topic prefix, bucket and SMTP capture server, so test files can
 * run side by side against one broker, one S3 server and one PostgreSQL.
 */
export class TestEnvironment {
  readonly id = randomBytes(4).toString('hex');
  readonly topicPrefix = `t${this.id}.`;
  readonly databaseName = `dp_test_${this.id}`;
  readonly bucket = `test-${this.id}`;
  readonly jwtSecret = `test-secret-${randomBytes(16).toString('hex')}`;
  readonly smtp = new SmtpCapture();
  readonly components = testComponents();
  readonly kafka: Kafka;
  readonly s3: S3Client;
  private smtpPort = 0;

  constructor() {
    this.kafka = createKafka(this.components.kafkaBrokers.split(','), `test-${this.id}`);
    this.s3 = new S3Client({
      region: 'us-east-1',
      endpoint: this.components.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: this.components.s3AccessKeyId, secretAccessKey: this.components.s3SecretAccessKey },
    });
  }

  get databaseUrl(): string {
    return `${this.components.postgresUrl}/${this.databaseName}`;
  }

  async start(): Promise<this> {
    this.smtpPort = await this.smtp.start();
    await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
    await ensureTopics(this.kafka, platformTopicNames(this.topicPrefix));
    return this;
  }

  /** Environment variables for any service of the platform, pointed at this environment; `overrides` win. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.databaseUrl,
      DATABASE_POOL_SIZE: '6',
      KAFKA_BROKERS: this.components.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      HTTP_PORT: '0',
      AUTH_JWT_SECRET: this.jwtSecret,
      GRACE_PERIOD: '4s',
      PURGE_DEADLINE: '30d',
      SCHEDULER_POLL_INTERVAL: '200ms',
      S3_ENDPOINT: this.components.s3Endpoint,
      S3_BUCKET: this.bucket,
      S3_ACCESS_KEY_ID: this.components.s3AccessKeyId,
      S3_SECRET_ACCESS_KEY: this.components.s3SecretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      ARCHIVE_PURGE_RETRY_DELAY: '500ms',
      AREA_RETRY_DELAY: '500ms',
      AREA_POLL_INTERVAL: '200ms',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(this.smtpPort),
      ...overrides,
    };
  }

  /** Runs SQL against this environment's database (for assertions on rows). */
  async query<T = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async dispose(): Promise<void> {
    await this.smtp.stop();
    this.s3.destroy();
    const admin = new Client({ connectionString: `${this.components.postgresUrl}/postgres` });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
