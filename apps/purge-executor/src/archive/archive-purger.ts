import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@nestjs/common';

/** S3 accepts at most 1,000 keys in one DeleteObjects request. */
export const MAX_KEYS_PER_DELETE = 1_000;

export interface PrefixPurgeResult {
  listed: number;
  deleted: number;
  failed: Array<{ key: string; code: string; message: string }>;
  requests: number;
}

/**
 * Deletes every object under a prefix: one ListObjectsV2 page at a time
 * (following continuation tokens to the end), each page removed with one
 * DeleteObjects of at most 1,000 keys. DeleteObjects returns 200 even when
 * some keys fail, so the per-key `Errors` are collected and reported. The
 * purge goes on through the remaining pages.
 *
 * NOTE: pages are listed and deleted one after another. Listing the next page
 * while deleting the current one skipped about one object in ten on S3Proxy
 * 3.3.0 (measured with the integration spec), although AWS S3 allows it.
 */
export class ArchivePurger {
  private readonly logger = new Logger(ArchivePurger.name);

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async purgePrefix(prefix: string): Promise<PrefixPurgeResult> {
    if (!prefix.endsWith('/')) {
      throw new Error(`refusing to purge prefix "${prefix}": a purge prefix must end with "/" so it cannot match a sibling`);
    }
    const result: PrefixPurgeResult = { listed: 0, deleted: 0, failed: [], requests: 0 };

    let continuationToken: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: MAX_KEYS_PER_DELETE, ContinuationToken: continuationToken }),
      );
      result.requests += 1;
      const keys = (page.Contents ?? []).map((object) => object.Key).filter((key): key is string => key !== undefined);
      result.listed += keys.length;

      for (let start = 0; start < keys.length; start += MAX_KEYS_PER_DELETE) {
        await this.deleteBatch(keys.slice(start, start + MAX_KEYS_PER_DELETE), result);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !continuationToken) {
        throw new Error(`listing ${prefix} was truncated without a continuation token; the S3 server is not compatible`);
      }
    } while (continuationToken);

    this.logger.log(
      `purged prefix ${prefix}: ${result.deleted} of ${result.listed} objects deleted, ${result.failed.length} failed, ${result.requests} S3 requests`,
    );
    return result;
  }

  private async deleteBatch(keys: string[], result: PrefixPurgeResult): Promise<void> {
    if (keys.length === 0) {
      return;
    }
    const response = await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: keys.map((key) => ({ Key: key })), Quiet: true },
      }),
    );
    result.requests += 1;
    const errors = response.Errors ?? [];
    for (const error of errors) {
      result.failed.push({ key: error.Key ?? '(unknown key)', code: error.Code ?? 'Unknown', message: error.Message ?? '' });
    }
    result.deleted += keys.length - errors.length;
  }
}
