import { z } from 'zod';
import { areaNameSchema, deletionKindSchema, purgeCountsSchema } from '../deletion/deletion-kind';
import { purgeScopeSchema } from '../deletion/purge-scope';
import { defineMessage } from '../message-contract';
import { TOPICS } from '../topics';

/** The work order every product area subscribes to: purge this scope of this workspace. */
export const purgeDueV1 = defineMessage(
  TOPICS.purgeDue,
  'purge.due',
  1,
  z.object({
    requestId: z.uuid(),
    kind: deletionKindSchema,
    workspaceId: z.uuid(),
    scope: purgeScopeSchema,
    deadline: z.iso.datetime({ offset: true }),
  }),
);

/** Published by purge-executor once it tracks a purge: the areas it waits for. */
export const purgeStartedV1 = defineMessage(
  TOPICS.purgeStarted,
  'purge.started',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    areas: z.array(z.object({ area: areaNameSchema, status: z.enum(['pending', 'skipped']) })),
    startedAt: z.iso.datetime({ offset: true }),
  }),
);

export const purgeErrorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  permanent: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type PurgeError = z.infer<typeof purgeErrorSchema>;

/** Interim state of one area's purge: it started, or it failed and will be retried. */
export const purgeProgressV1 = defineMessage(
  TOPICS.purgeProgress,
  'purge.progress',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    area: areaNameSchema,
    status: z.enum(['running', 'retrying']),
    attempt: z.number().int().positive(),
    error: purgeErrorSchema.nullable(),
    nextAttemptAt: z.iso.datetime({ offset: true }).nullable(),
  }),
);

/** One area's acknowledgement: its final result for one request. Consumers count it once per (request, area). */
export const purgeCompletedV1 = defineMessage(
  TOPICS.purgeCompleted,
  'purge.completed',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    area: areaNameSchema,
    status: z.enum(['succeeded', 'failed']),
    counts: purgeCountsSchema,
    attempt: z.number().int().positive(),
    error: purgeErrorSchema.nullable(),
    completedAt: z.iso.datetime({ offset: true }),
  }),
);
