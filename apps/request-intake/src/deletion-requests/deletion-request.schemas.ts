import { MAX_SUBJECTS_PER_REQUEST, regulationSchema } from '@deletion/contracts';
import { z } from 'zod';
import { validateUtcDay } from '@deletion/archive-layout';

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

export type UserDeletionBody = z.infer<typeof userDeletionBodySchema>;

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

const utcDay = (field: 'from' | 'to') =>
  z
    .string({ error: `${field} is required: deletions are scoped to whole UTC days, so give both from and to as YYYY-MM-DD` })
    .superRefine((text, context) => {
      const problem = validateUtcDay(text);
      if (problem) {
        context.addIssue({ code: 'custom', message: `${field} ${problem}` });
      }
    });

/** An operator's deletion of one source's archive for whole UTC days, `from` and `to` inclusive. */
export const sourceDeletionBodySchema = z
  .strictObject({
    kind: z.literal('source'),
    workspace: workspaceReference,
    source: z
      .string({ error: 'source is required: give the source slug (such as "web") or its id' })
      .trim()
      .min(1, 'source must not be blank: give the source slug (such as "web") or its id')
      .max(200),
    from: utcDay('from'),
    to: utcDay('to'),
    ticket: ticketReference,
    reason: z.string().max(2_000).optional(),
  })
  .superRefine((body, context) => {
    if (body.from > body.to) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `to (${body.to}) is before from (${body.from}); the range is inclusive, so for one day give the same day twice`,
      });
    }
  });

/** An end-user deletion or suppression (a regulation) in one workspace. */
export const userDeletionBodySchema = z.strictObject({
  kind: z.literal('user'),
  workspace: workspaceReference,
  regulation: regulationSchema,
  subjectType: z.enum(['userId', 'anonymousId']),
  subjects: z
    .array(z.string().trim().min(1, 'a subject must not be blank').max(500), {
      error: (issue) =>
        issue.input === undefined
          ? 'subjects is required: give a list of end-user ids'
          : 'subjects must be a list of end-user ids, such as ["user-1", "user-2"]',
    })
    .min(1, 'subjects must name at least one end user')
    .max(MAX_SUBJECTS_PER_REQUEST, `subjects may name at most ${MAX_SUBJECTS_PER_REQUEST} end users per request; split the list into several requests`),
  reason: z.string().max(2_000).optional(),
});

/** An operator's purge of the archive of a workspace deleted before 2022-03-31, whose archive was kept. */
export const legacyArchivePurgeBodySchema = z.strictObject({
  kind: z.literal('legacy_archive_purge'),
  workspace: workspaceReference,
  ticket: ticketReference,
  reason: z.string().max(2_000).optional(),
});

/** An account's deletion of itself: every workspace it administers, then its own record. */
export const accountDeletionBodySchema = z.strictObject({
  kind: z.literal('account'),
  password: z.string({ error: 'password is required: re-enter the password of the account' }).min(1, 'password must not be empty').max(1_000),
  reason: z.string().max(2_000).optional(),
});

const SUPPORTED_KINDS = '"workspace", "purge", "user", "source", "legacy_archive_purge" or "account"';

/**
 * Body of `POST /v1/deletion-requests`, one shape per kind. Unknown fields
 * are rejected, so a misspelt field never widens or narrows a deletion silently.
 */
export const createDeletionRequestBodySchema = z.discriminatedUnion(
  'kind',
  [workspaceDeletionBodySchema, purgeBodySchema, userDeletionBodySchema, sourceDeletionBodySchema, legacyArchivePurgeBodySchema, accountDeletionBodySchema],
  { error: (issue) => (issue.code === 'invalid_union' ? `kind is missing or not supported: use ${SUPPORTED_KINDS}` : undefined) },
);
export type CreateDeletionRequestBody = z.infer<typeof createDeletionRequestBodySchema>;

export const cancelDeletionRequestBodySchema = z.strictObject({
  reason: z.string().max(2_000).optional(),
});
export type CancelDeletionRequestBody = z.infer<typeof cancelDeletionRequestBodySchema>;

export const listDeletionRequestsQuerySchema = z.strictObject({
  workspace: z.string().trim().min(1).max(200).optional(),
  status: z.enum(['scheduled', 'due', 'purging', 'completed', 'failed', 'cancelled']).optional(),
  kind: z.enum(['workspace', 'purge', 'user', 'source', 'legacy_archive_purge', 'account']).optional(),
  limit: z.coerce.number().int().min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100').default(20),
  cursor: z.string().max(500).optional(),
});
export type ListDeletionRequestsQuery = z.infer<typeof listDeletionRequestsQuerySchema>;
