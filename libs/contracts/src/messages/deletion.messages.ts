import { z } from 'zod';
import { deletionKindSchema } from '../deletion/deletion-kind';
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
