import { z } from 'zod';
import { deletionKindSchema, regulationSchema } from '../deletion/deletion-kind';
import { purgeScopeSchema } from '../deletion/purge-scope';
import { defineMessage } from '../message-contract';
import { TOPICS } from '../topics';

const recipientSchema = z.object({ accountId: z.uuid(), email: z.email() });

/** Published by request-intake when it accepts a request. Recipients are the workspace's admins at that moment. */
export const deletionRequestedV1 = defineMessage(
  TOPICS.deletionRequested,
  'deletion.requested',
  1,
  z.object({
    requestId: z.uuid(),
    kind: deletionKindSchema,
    workspaceId: z.uuid(),
    workspaceSlug: z.string().min(1),
    requestedBy: z.uuid(),
    scope: purgeScopeSchema,
    /** For end-user requests: what the request does to the subjects. */
    regulation: regulationSchema.optional(),
    createdAt: z.iso.datetime({ offset: true }),
    graceEndsAt: z.iso.datetime({ offset: true }).nullable(),
    deadline: z.iso.datetime({ offset: true }),
    recipients: z.array(recipientSchema),
  }),
);

export const deletionCancelledV1 = defineMessage(
  TOPICS.deletionCancelled,
  'deletion.cancelled',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    cancelledBy: z.uuid(),
    reason: z.string().nullable(),
    cancelledAt: z.iso.datetime({ offset: true }),
  }),
);

/** Published by grace-scheduler when a request's grace period has ended; request-intake then decides `due` or nothing. */
export const graceElapsedV1 = defineMessage(
  TOPICS.graceElapsed,
  'grace.elapsed',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    graceEndsAt: z.iso.datetime({ offset: true }),
    firedAt: z.iso.datetime({ offset: true }),
  }),
);

const areaReceiptSchema = z.object({
  area: z.string().min(1),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  counts: z.record(z.string(), z.number().int().nonnegative()),
  error: z.string().nullable(),
});

/** Final outcome of a request, published once by purge-executor with the receipt of every area. */
export const deletionCompletedV1 = defineMessage(
  TOPICS.deletionCompleted,
  'deletion.completed',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    kind: deletionKindSchema,
    outcome: z.enum(['completed', 'failed']),
    receipt: z.array(areaReceiptSchema),
    completedAt: z.iso.datetime({ offset: true }),
  }),
);

/** A change of a workspace's suppression list, for the ingestion path to enforce: it drops later events of suppressed subjects. */
export const suppressionChangedV1 = defineMessage(
  TOPICS.suppressionChanged,
  'suppression.changed',
  1,
  z.object({
    workspaceId: z.uuid(),
    requestId: z.uuid(),
    change: z.enum(['suppressed', 'unsuppressed']),
    subjectType: z.enum(['userId', 'anonymousId']),
    subjects: z.array(z.string().min(1)).min(1),
    changedAt: z.iso.datetime({ offset: true }),
  }),
);

/** A request that is not completed a configured time before its deadline; the notifier alerts the operators. */
export const deadlineAtRiskV1 = defineMessage(
  TOPICS.deadlineAtRisk,
  'deletion.deadline-at-risk',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    kind: deletionKindSchema,
    status: z.string(),
    deadline: z.iso.datetime({ offset: true }),
    pendingAreas: z.array(z.string()),
  }),
);

/** An operator asked to run the failed areas of a failed request again. */
export const purgeRetryRequestedV1 = defineMessage(
  TOPICS.purgeRetryRequested,
  'purge.retry-requested',
  1,
  z.object({
    requestId: z.uuid(),
    workspaceId: z.uuid(),
    areas: z.array(z.string().min(1)).min(1),
    requestedBy: z.uuid(),
  }),
);
