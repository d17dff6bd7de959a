import { z } from 'zod';

/**
 * Scope of a purge inside its workspace. Only the workspace scope exists
 * so far; other scopes (end users, a source's days) extend this union.
 */
export const workspaceScopeSchema = z.object({ type: z.literal('workspace') });

export const purgeScopeSchema = z.discriminatedUnion('type', [workspaceScopeSchema]);
export type PurgeScope = z.infer<typeof purgeScopeSchema>;
