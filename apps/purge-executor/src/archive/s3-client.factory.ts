import { S3Client } from '@aws-sdk/client-s3';
import { ExecutorConfig } from '../executor.config';

/** Builds the archive's S3 client; endpoint, path style and checksum mode are configuration, since S3-compatible servers differ. */
export function createArchiveS3Client(config: ExecutorConfig): S3Client {
  const checksumMode = config.S3_CHECKSUMS === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  return new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    credentials:
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
  });
}
