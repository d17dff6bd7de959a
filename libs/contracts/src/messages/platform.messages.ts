import { z } from 'zod';
import { defineMessage } from '../message-contract';
import { TOPICS } from '../topics';

/** Workspace and source slugs: lowercase words joined by hyphens, as the app allows them. */
export const slugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a slug is 1-63 lowercase letters, digits or hyphens');

export const workspaceCreatedV1 = defineMessage(
  TOPICS.platformWorkspaces,
  'workspace.created',
  1,
  z.object({ workspaceId: z.uuid(), slug: slugSchema, name: z.string().min(1), createdAt: z.iso.datetime({ offset: true }) }),
);

export const workspaceRenamedV1 = defineMessage(
  TOPICS.platformWorkspaces,
  'workspace.renamed',
  1,
  z.object({ workspaceId: z.uuid(), slug: slugSchema, name: z.string().min(1) }),
);

/** The app deleted a workspace; `deletedBy` is the account that did it. */
export const workspaceDeletedV1 = defineMessage(
  TOPICS.platformWorkspaces,
  'workspace.deleted',
  1,
  z.object({ workspaceId: z.uuid(), deletedBy: z.uuid(), deletedAt: z.iso.datetime({ offset: true }) }),
);

export const sourceCreatedV1 = defineMessage(
  TOPICS.platformSources,
  'source.created',
  1,
  z.object({ workspaceId: z.uuid(), sourceId: z.uuid(), slug: slugSchema, name: z.string().min(1) }),
);

export const platformRoleSchema = z.enum(['operator']);

/** An account as the platform's sign-in service stores it. The password arrives only as a bcrypt hash. */
export const accountCreatedV1 = defineMessage(
  TOPICS.platformAccounts,
  'account.created',
  1,
  z.object({
    accountId: z.uuid(),
    email: z.email(),
    name: z.string().min(1),
    passwordHash: z.string().regex(/^\$2[aby]\$\d{2}\$/, 'passwordHash must be a bcrypt hash'),
    platformRoles: z.array(platformRoleSchema),
  }),
);

export const accountRemovedV1 = defineMessage(
  TOPICS.platformAccounts,
  'account.removed',
  1,
  z.object({ accountId: z.uuid() }),
);

export const membershipRoleSchema = z.enum(['admin', 'member']);
export type MembershipRole = z.infer<typeof membershipRoleSchema>;

export const membershipGrantedV1 = defineMessage(
  TOPICS.platformMemberships,
  'membership.granted',
  1,
  z.object({ workspaceId: z.uuid(), accountId: z.uuid(), role: membershipRoleSchema }),
);

export const membershipChangedV1 = defineMessage(
  TOPICS.platformMemberships,
  'membership.changed',
  1,
  z.object({ workspaceId: z.uuid(), accountId: z.uuid(), role: membershipRoleSchema }),
);

export const membershipRevokedV1 = defineMessage(
  TOPICS.platformMemberships,
  'membership.revoked',
  1,
  z.object({ workspaceId: z.uuid(), accountId: z.uuid() }),
);
