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

/**
 * Body of `POST /v1/deletion-requests`, one shape per kind. Unknown fields
 * are rejected, so a misspelt field never widens or narrows a deletion silently.
 */
export const createDeletionRequestBodySchema = z.discriminatedUnion('kind', [workspaceDeletionBodySchema], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'kind is missing or not supported: use "workspace"' : undefined,
});
export type CreateDeletionRequestBody = z.infer<typeof createDeletionRequestBodySchema>;

export const cancelDeletionRequestBodySchema = z.strictObject({
  reason: z.string().max(2_000).optional(),
});
export type CancelDeletionRequestBody = z.infer<typeof cancelDeletionRequestBodySchema>;
