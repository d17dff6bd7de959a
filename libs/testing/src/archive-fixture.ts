import { GetObjectCommand, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { ArchivedEvent, archiveObjectKey, decodeArchiveObject, encodeArchiveObject } from '@deletion/archive-layout';

export interface ArchiveSeed {
  workspaceId: string;
  sourceId: string;
  days: string[];
  objectsPerDay: number;
  usersPerObject: number;
  eventsPerUser?: number;
}

/** Writes gzipped JSON-lines objects for every day of a source, several end users per object; returns the keys. */
export async function seedArchive(s3: S3Client, bucket: string, seed: ArchiveSeed, parallelism = 16): Promise<string[]> {
  const jobs: Array<{ key: string; events: ArchivedEvent[] }> = [];
  for (const day of seed.days) {
    for (let index = 0; index < seed.objectsPerDay; index += 1) {
      const events: ArchivedEvent[] = [];
      for (let user = 0; user < seed.usersPerObject; user += 1) {
        for (let event = 0; event < (seed.eventsPerUser ?? 2); event += 1) {
          events.push({
            messageId: `${day}-${index}-${user}-${event}`,
            type: 'track',
            userId: `user-${(index + user) % 50}`,
            anonymousId: `anon-${user}`,
            timestamp: `${day}T${String(event % 24).padStart(2, '0')}:00:00.000Z`,
            properties: { event: 'Page Viewed' },
          });
        }
      }
      jobs.push({ key: archiveObjectKey(seed.workspaceId, seed.sourceId, day, `events-${String(index).padStart(5, '0')}.jsonl.gz`), events });
    }
  }

  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await putWithRetries(s3, new PutObjectCommand({ Bucket: bucket, Key: job.key, Body: encodeArchiveObject(job.events), ContentType: 'application/gzip' }));
    }
  };
  await Promise.all(Array.from({ length: parallelism }, worker));
  return jobs.map((job) => job.key);
}

/**
 * Sends a PUT, trying again after a pause when it fails. Seeding 100,000
 * objects into S3Proxy's in-memory store (the full benchmarks) now and then
 * outlasts the SDK's own three attempts with "socket hang up".
 */
async function putWithRetries(s3: S3Client, command: PutObjectCommand, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await s3.send(command);
      return;
    } catch (error) {
      if (attempt >= attempts) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
  }
}

/** Counts the objects under a prefix, following every page. */
export async function countObjects(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let count = 0;
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    count += page.KeyCount ?? 0;
  }
  return count;
}

/** Consecutive UTC days starting at `first` (YYYY-MM-DD). */
export function consecutiveDays(first: string, count: number): string[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, index) => new Date(start + index * 86_400_000).toISOString().slice(0, 10));
}

/** Reads and decodes every archive object under a prefix, by key; fails if any object is not valid gzip JSON lines. */
export async function readArchive(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, ArchivedEvent[]>> {
  const objects = new Map<string, ArchivedEvent[]>();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      objects.set(object.Key as string, decodeArchiveObject(Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())));
    }
  }
  return objects;
}
