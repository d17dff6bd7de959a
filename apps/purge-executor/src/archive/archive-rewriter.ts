import { GetObjectCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

export interface SubjectRemovalResult {
  objectsScanned: number;
  objectsRewritten: number;
  objectsDeleted: number;
  eventsRemoved: number;
}

type SubjectField = 'userId' | 'anonymousId';

/** Objects rewritten at the same time; each has one gunzip stream, so memory stays bounded whatever the archive's size. */
const SCAN_CONCURRENCY = 8;

/**
 * Removes end users' events from every archive object under a prefix. Each
 * object is streamed once, and every line's subject is looked up in a set,
 * so the cost does not grow with the number of subjects. Only objects that
 * contained a subject are written back; one left without events is deleted.
 */
export class ArchiveRewriter {
  private readonly logger = new Logger(ArchiveRewriter.name);

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async removeSubjects(prefix: string, field: SubjectField, subjects: readonly string[]): Promise<SubjectRemovalResult> {
    if (!prefix.endsWith('/')) {
      throw new Error(`refusing to rewrite under prefix "${prefix}": it must end with "/" so it cannot match a sibling`);
    }
    const subjectSet = new Set(subjects);
    if (subjectSet.size === 0) {
      throw new Error('refusing to rewrite the archive for an empty list of subjects');
    }
    const result: SubjectRemovalResult = { objectsScanned: 0, objectsRewritten: 0, objectsDeleted: 0, eventsRemoved: 0 };

    let continuationToken: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      await runWithConcurrency(keys, SCAN_CONCURRENCY, (key) => this.processObject(key, field, subjectSet, result));
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);

    this.logger.log(
      `removed ${result.eventsRemoved} events under ${prefix}: ${result.objectsRewritten} objects rewritten, ${result.objectsDeleted} deleted, ${result.objectsScanned} scanned`,
    );
    return result;
  }

  /**
   * Streams one object through gunzip, the filter and gzip into an upload of
   * the same key, in one pass. The upload's stream is ended only when at
   * least one event was removed. Otherwise the upload is aborted, so an
   * object without the subjects is read once and never written.
   */
  private async processObject(key: string, field: SubjectField, subjects: Set<string>, result: SubjectRemovalResult): Promise<void> {
    const source = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const rewritten = new PassThrough();
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: rewritten, ContentType: 'application/gzip' },
    });
    const uploaded = upload.done();

    let counts: { kept: number; removed: number };
    try {
      counts = await filterLines(source.Body as Readable, rewritten, field, subjects);
    } catch (error) {
      await upload.abort();
      await uploaded.catch(() => undefined);
      throw error;
    }
    result.objectsScanned += 1;

    if (counts.removed === 0) {
      await upload.abort();
      await uploaded.catch(() => undefined);
      rewritten.destroy();
      return;
    }
    rewritten.end();
    await uploaded;

    result.eventsRemoved += counts.removed;
    if (counts.kept === 0) {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      result.objectsDeleted += 1;
    } else {
      result.objectsRewritten += 1;
    }
  }
}

function subjectOf(line: string, field: SubjectField): string | undefined {
  const value = (JSON.parse(line) as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Streams the object's lines without the subjects' events into `output`,
 * gzipped, and leaves `output` open for the caller to end or discard.
 */
async function filterLines(
  body: Readable,
  output: PassThrough,
  field: SubjectField,
  subjects: Set<string>,
): Promise<{ kept: number; removed: number }> {
  const counts = { kept: 0, removed: 0 };
  const lines = createInterface({ input: body.pipe(createGunzip()), crlfDelay: Infinity });
  // Kept lines leave in chunks of about 64 KiB: one write per line would cost more than the filtering.
  async function* keptChunks() {
    let chunk: string[] = [];
    let size = 0;
    for await (const line of lines) {
      if (line.length === 0) {
        continue;
      }
      if (subjects.has(subjectOf(line, field) ?? '')) {
        counts.removed += 1;
        continue;
      }
      counts.kept += 1;
      chunk.push(line);
      size += line.length + 1;
      if (size >= 65_536) {
        yield `${chunk.join('\n')}\n`;
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) {
      yield `${chunk.join('\n')}\n`;
    }
  }
  const gzip = createGzip();
  gzip.pipe(output, { end: false });
  const flushed = gzip.readableEnded ? Promise.resolve() : once(gzip, 'end');
  await pipeline(Readable.from(keptChunks()), gzip);
  await flushed;
  return counts;
}

async function runWithConcurrency<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
