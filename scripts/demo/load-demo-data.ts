import 'reflect-metadata';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { EventPublisher, createKafka, ensureTopics, platformTopicNames } from '@deletion/kafka';
import { DEVELOPMENT_PASSWORD, consecutiveDays, countObjects, publishDirectory, seedArchive, standardDirectory, waitFor } from '@deletion/testing';
import { Client } from 'pg';
import { readDevelopmentEnv } from '../dev/development-env';

const ARCHIVE_DAYS = consecutiveDays('2024-02-26', 28);
const OBJECTS_PER_DAY = 12;
const USERS_PER_OBJECT = 5;
const AREA_USERS_PER_WORKSPACE = 500;

/**
 * Loads the demo data set into the running local platform: the directory
 * through the `platform.*` topics, an archive of gzipped JSON-lines objects
 * for every source, and rows in the profiles and audiences areas. Running it
 * again adds nothing that is already there.
 */
async function main(): Promise<void> {
  const env = readDevelopmentEnv();
  const fixture = standardDirectory();

  const kafka = createKafka(env.KAFKA_BROKERS.split(','), 'demo-loader');
  await ensureTopics(kafka, platformTopicNames(''));
  const publisher = new EventPublisher(kafka, '');
  await publishDirectory(publisher, fixture);
  await publisher.disconnect();
  console.log(`demo: published ${fixture.workspaces.length} workspaces and ${fixture.accounts.length} accounts to platform.* topics`);

  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: env.S3_ENDPOINT,
    forcePathStyle: true,
    credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
  });
  await ensureBucket(s3, env.S3_BUCKET);
  let objects = 0;
  for (const workspace of fixture.workspaces) {
    if ((await countObjects(s3, env.S3_BUCKET, `${workspace.id}/`)) > 0) {
      continue;
    }
    for (const source of workspace.sources) {
      const keys = await seedArchive(s3, env.S3_BUCKET, {
        workspaceId: workspace.id,
        sourceId: source.id,
        days: ARCHIVE_DAYS,
        objectsPerDay: OBJECTS_PER_DAY,
        usersPerObject: USERS_PER_OBJECT,
      });
      objects += keys.length;
    }
  }
  s3.destroy();
  console.log(`demo: wrote ${objects} archive objects to s3://${env.S3_BUCKET} (workspaces already seeded were skipped)`);

  const database = new Client({ connectionString: env.DATABASE_URL });
  await database.connect();
  try {
    await waitFor(
      async () => {
        const result = await database.query(
          `SELECT count(*)::int AS count FROM information_schema.tables
            WHERE (table_schema, table_name) IN (('area_profiles', 'profiles'), ('area_audiences', 'audience_members'))`,
        );
        return result.rows[0].count === 2;
      },
      { description: 'the profiles and audiences areas to create their tables', timeoutMs: 60_000 },
    );
    for (const workspace of fixture.workspaces) {
      await database.query(
        `INSERT INTO area_profiles.profiles (workspace_id, user_id, anonymous_id, traits)
         SELECT $1, 'user-' || n, 'anon-' || n, jsonb_build_object('plan', 'pro') FROM generate_series(1, $2) AS n
         ON CONFLICT DO NOTHING`,
        [workspace.id, AREA_USERS_PER_WORKSPACE],
      );
      await database.query(
        `INSERT INTO area_audiences.audience_members (workspace_id, audience_id, user_id)
         SELECT $1, 'audience-' || (n % 5), 'user-' || n FROM generate_series(1, $2) AS n
         ON CONFLICT DO NOTHING`,
        [workspace.id, AREA_USERS_PER_WORKSPACE],
      );
    }
    await waitFor(
      async () => (await database.query('SELECT count(*)::int AS count FROM intake.memberships')).rows[0].count >= 4,
      { description: 'request-intake to apply the directory events', timeoutMs: 60_000 },
    );
  } finally {
    await database.end();
  }
  console.log(`demo: ${AREA_USERS_PER_WORKSPACE} profiles and audience memberships per workspace; every account's password is "${DEVELOPMENT_PASSWORD}"`);
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

main().catch((error: Error) => {
  console.error(`demo: loading the demo data failed: ${error.message}`);
  process.exit(1);
});
