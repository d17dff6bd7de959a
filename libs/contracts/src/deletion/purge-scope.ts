import { z } from 'zod';

/** Most end users one request may name; more is rejected, so one request never becomes an unbounded rewrite. */
export const MAX_SUBJECTS_PER_REQUEST = 5_000;

/** A UTC calendar day, `YYYY-MM-DD`. */
export const utcDaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day is YYYY-MM-DD (a UTC calendar day)');

export const workspaceScopeSchema = z.object({ type: z.literal('workspace') });

/** A source's archive for whole UTC days, `from` and `to` inclusive. */
export const sourceScopeSchema = z.object({
  type: z.literal('source'),
  sourceId: z.uuid(),
  from: utcDaySchema,
  to: utcDaySchema,
});

/** End users of one workspace, by `userId` or by `anonymousId`. */
export const subjectsScopeSchema = z.object({
  type: z.literal('subjects'),
  subjectType: z.enum(['userId', 'anonymousId']),
  subjects: z.array(z.string().min(1)).min(1).max(MAX_SUBJECTS_PER_REQUEST),
});

/** Scope of a purge inside its workspace. */
export const purgeScopeSchema = z.discriminatedUnion('type', [workspaceScopeSchema, sourceScopeSchema, subjectsScopeSchema]);
export type PurgeScope = z.infer<typeof purgeScopeSchema>;
export type SourceScope = z.infer<typeof sourceScopeSchema>;
export type SubjectsScope = z.infer<typeof subjectsScopeSchema>;
