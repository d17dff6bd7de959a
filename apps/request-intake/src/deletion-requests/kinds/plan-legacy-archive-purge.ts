import { EntityManager } from 'typeorm';
import { Caller } from '../../auth/caller';
import { problems } from '../../problem/problem.exception';
import { RequestPlan } from './request-plan';
import { requireOperator, resolveWorkspace } from './plan-workspace-purge';

/** Workspaces deleted before this instant kept their archive when they were deleted; only their archive is purged. */
export const LEGACY_ARCHIVE_CUTOFF = new Date('2022-03-31T00:00:00.000Z');

/** Plans an operator's purge of the archive that a workspace deleted before 2022-03-31 left behind. */
export async function planLegacyArchivePurge(
  manager: EntityManager,
  caller: Caller,
  body: { workspace: string; ticket: string; reason?: string },
): Promise<RequestPlan> {
  requireOperator(caller, 'purge a legacy archive');
  const workspace = await resolveWorkspace(manager, body.workspace, caller);
  if (!workspace.deletedAt) {
    throw problems.conflict(
      'workspace-not-deleted',
      `workspace "${workspace.slug}" is not deleted; a legacy archive purge applies only to workspaces deleted before 2022-03-31. Use kind "purge" for a live workspace`,
    );
  }
  if (workspace.deletedAt.getTime() >= LEGACY_ARCHIVE_CUTOFF.getTime()) {
    throw problems.conflict(
      'workspace-not-legacy',
      `workspace "${workspace.slug}" was deleted on ${workspace.deletedAt.toISOString()}, on or after 2022-03-31, so its archive was purged with it; a legacy archive purge applies only to earlier deletions`,
    );
  }
  return {
    kind: 'legacy_archive_purge',
    workspace,
    scope: { type: 'workspace' },
    ticket: body.ticket,
    reason: body.reason ?? null,
    purges: true,
    admins: workspace.admins,
    auditDetails: { workspace: workspace.slug, deletedAt: workspace.deletedAt.toISOString() },
  };
}
