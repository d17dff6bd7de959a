import { areaNameSchema } from '@deletion/contracts';
import { booleanVariable, databaseVariables, durationVariable, integerVariable, kafkaVariables, loadConfig } from '@deletion/config';
import { z } from 'zod';

export const executorConfigSchema = z.object({
  ...databaseVariables,
  ...kafkaVariables,
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: integerVariable(3002),
  /** Product areas whose acknowledgement a purge waits for; an area that never acknowledges keeps the request open until its deadline. */
  PURGE_AREAS: z
    .string()
    .default('archive,profiles,audiences')
    .transform((text) => text.split(',').map((area) => area.trim()).filter(Boolean))
    .pipe(z.array(areaNameSchema).min(1, 'PURGE_AREAS must name at least one product area')),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().min(3).default('event-archive'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Path-style URLs (`endpoint/bucket/key`); S3-compatible servers on loopback need them. */
  S3_FORCE_PATH_STYLE: booleanVariable(false),
  /** `when_required` turns off the SDK's default request checksums, which some S3-compatible servers reject. */
  S3_CHECKSUMS: z.enum(['when_supported', 'when_required']).default('when_supported'),
  ARCHIVE_PURGE_MAX_ATTEMPTS: integerVariable(5, 1),
  ARCHIVE_PURGE_RETRY_DELAY: durationVariable('5s'),
  AREA_POLL_INTERVAL: durationVariable('500ms'),
});

export type ExecutorConfig = z.infer<typeof executorConfigSchema>;

export function loadExecutorConfig(env: Record<string, string | undefined> = process.env): ExecutorConfig {
  const config = loadConfig(executorConfigSchema, env);
  if ((config.S3_ACCESS_KEY_ID === undefined) !== (config.S3_SECRET_ACCESS_KEY === undefined)) {
    throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together, or both left unset to use the AWS default credential chain');
  }
  return config;
}
