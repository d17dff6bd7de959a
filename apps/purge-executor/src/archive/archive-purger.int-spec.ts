import { S3Client } from '@aws-sdk/client-s3';
import { S3FaultProxy, TestEnvironment, countObjects, seedArchive, stableUuid } from '@deletion/testing';
import { ArchivePurger, MAX_KEYS_PER_DELETE } from './archive-purger';
import { workspaceArchivePrefix } from './archive-prefix.util';

describe('ArchivePurger on S3Proxy', () => {
  const env = new TestEnvironment();
  const workspaceId = stableUuid('workspace:purger-test');
  const sourceOne = stableUuid('source:purger-test:one');
  const sourceTwo = stableUuid('source:purger-test:two');
  let proxy: S3FaultProxy;
  let purger: ArchivePurger;
  let proxiedClient: S3Client;

  const seed = (workspace: string, source: string, day: string, objects: number) =>
    seedArchive(env.s3, env.bucket, { workspaceId: workspace, sourceId: source, days: [day], objectsPerDay: objects, usersPerObject: 1, eventsPerUser: 1 }, 32);

  beforeAll(async () => {
    await env.start();
    proxy = new S3FaultProxy(env.components.s3Endpoint, env.s3);
    const endpoint = await proxy.start();
    proxiedClient = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: env.components.s3AccessKeyId, secretAccessKey: env.components.s3SecretAccessKey },
    });
    purger = new ArchivePurger(proxiedClient, env.bucket);

    await seed(workspaceId, sourceOne, '2024-03-10', 2_500);
    await seed(workspaceId, sourceTwo, '2024-03-11', 1_000);
    await seed(workspaceId, sourceTwo, '2024-03-12', 1_001);
    // Siblings whose names start with the workspace id: a prefix without the trailing "/" would match them.
    await seedArchive(env.s3, env.bucket, { workspaceId: `${workspaceId}0`, sourceId: 'src', days: ['2024-03-10'], objectsPerDay: 5, usersPerObject: 1 });
    await seedArchive(env.s3, env.bucket, { workspaceId: `${workspaceId}-old`, sourceId: 'src', days: ['2024-03-10'], objectsPerDay: 7, usersPerObject: 1 });
  });

  afterAll(async () => {
    proxiedClient?.destroy();
    await proxy?.stop();
    await env.dispose();
  });

  it('deletes every page of the workspace and nothing beside it', async () => {
    const result = await purger.purgePrefix(workspaceArchivePrefix(workspaceId));

    expect(result.deleted).toBe(4_501);
    expect(result.failed).toEqual([]);
    expect(await countObjects(env.s3, env.bucket, `${workspaceId}/`)).toBe(0);
    expect(await countObjects(env.s3, env.bucket, `${workspaceId}0/`)).toBe(5);
    expect(await countObjects(env.s3, env.bucket, `${workspaceId}-old/`)).toBe(7);
  });

  it('sends at most 1,000 keys per DeleteObjects', () => {
    expect(proxy.deleteObjectsKeyCounts.length).toBe(5);
    expect(Math.max(...proxy.deleteObjectsKeyCounts)).toBeLessThanOrEqual(MAX_KEYS_PER_DELETE);
    expect(proxy.deleteObjectsKeyCounts.reduce((sum, count) => sum + count, 0)).toBe(4_501);
  });

  it('sends one list and one delete per page of 1,000', () => {
    const pages = Math.ceil(4_501 / MAX_KEYS_PER_DELETE);
    expect(proxy.requests.filter((request) => request.method === 'GET')).toHaveLength(pages);
    expect(proxy.requests).toHaveLength(2 * pages);
  });

  it('reports keys that DeleteObjects failed and deletes the rest', async () => {
    const keys = await seed(workspaceId, sourceOne, '2024-03-13', 1_000);
    const failing = keys.slice(10, 13);
    failing.forEach((key) => proxy.failingKeys.add(key));

    const result = await purger.purgePrefix(workspaceArchivePrefix(workspaceId));

    expect(result.deleted).toBe(997);
    expect(result.failed.map((failure) => failure.key).sort()).toEqual([...failing].sort());
    expect(result.failed.every((failure) => failure.code === 'AccessDenied')).toBe(true);
    expect(await countObjects(env.s3, env.bucket, `${workspaceId}/`)).toBe(3);

    proxy.failingKeys.clear();
    const retry = await purger.purgePrefix(workspaceArchivePrefix(workspaceId));
    expect(retry.deleted).toBe(3);
    expect(await countObjects(env.s3, env.bucket, `${workspaceId}/`)).toBe(0);
  });

  it('refuses a prefix without a trailing slash', async () => {
    await expect(purger.purgePrefix(workspaceId)).rejects.toThrow('must end with "/"');
    expect(await countObjects(env.s3, env.bucket, `${workspaceId}0/`)).toBe(5);
  });
});
