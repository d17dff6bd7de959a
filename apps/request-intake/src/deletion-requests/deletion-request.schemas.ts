import { z } from 'zod';

const workspaceReference = z
  .string({ error: 'workspace is required: give the workspace slug (such as "acme") or its id' })
  .trim()
  .min(1, 'workspace must not be blank: give the workspace slug (such as "acme") or its id')
  .max(200);

export const workspaceDeletionBodySchema = z.strictObject({
  kind: z.literal('workspace'),
  workspace: workspaceReference,
  reason: z.string().max(2_000).optional(),
});

const ticketReference = z
  .string({ error: 'ticket is required: give the support ticket that asked for this purge' })
  .trim()
  .min(1, 'ticket must not be blank: give the support ticket that asked for this purge')
  .max(200);

/** An operator's complete data purge of a workspace, on a support ticket; it has the same grace period as a workspace deletion. */
export const purgeBodySchema = z.strictObject({
  kind: z.literal('purge'),
  workspace: workspaceReference,
  ticket: ticketReference,
  reason: z.string().max(2_000).optional(),
});

/**
 * Body of `POST /v1/deletion-requests`, one shape per kind. Unknown fields
 * are rejected, so a misspelt field never widens or narrows a deletion silently.
 */
export const createDeletionRequestBodySchema = z.discriminatedUnion('kind', [workspaceDeletionBodySchema, purgeBodySchema], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'kind is missing or not supported: use "workspace" or "purge"' : undefined,
});
export type CreateDeletionRequestBody = z.infer<typeof createDeletionRequestBodySchema>;

export const cancelDeletionRequestBodySchema = z.strictObject({
  reason: z.string().max(2_000).optional(),
});
export type CancelDeletionRequestBody = z.infer<typeof cancelDeletionRequestBodySchema>;

export const listDeletionRequestsQuerySchema = z.strictObject({
  workspace: z.string().trim().min(1).max(200).optional(),
  status: z.enum(['scheduled', 'due', 'purging', 'completed', 'failed', 'cancelled']).optional(),
  kind: z.enum(['workspace', 'purge']).optional(),
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100').default(20),
  cursor: z.string().max(500).optional(),
});
export type ListDeletionRequestsQuery = z.infer<typeof listDeletionRequestsQuerySchema>;
