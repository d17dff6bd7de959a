import { EntityManager } from 'typeorm';
import { Caller } from '../../auth/caller';
import { DirectoryRepository, WorkspaceContext } from '../../directory/directory.repository';
import { problems } from '../../problem/problem.exception';
import { RequestPlan } from './request-plan';
import { WorkspaceContextCache } from '../../directory/workspace-context.cache';

/**
 * Resolves a workspace slug or id to exactly one workspace, with the
 * caller's role and the admins, or fails with a 404 that names the value.
 * With `directoryReads`, the result may come from a recent read of the same
 * workspace by the same caller.
 */
export async function resolveWorkspace(manager: EntityManager, reference: string, caller: Caller, directoryReads?: WorkspaceContextCache): Promise<WorkspaceContext> {
  const read = () => new DirectoryRepository(manager).findWorkspaceContext(reference, caller.accountId);
  const workspace = await (directoryReads ? directoryReads.get(reference, caller.accountId, read) : read());
  if (!workspace) {
    throw problems.notFound('workspace-not-found', `workspace "${reference}" does not exist; give the exact slug or id of the workspace`, 'workspace');
  }
  return workspace;
}

/** Rejects a caller who is not an admin of the workspace (operators pass when `allowOperator`). */
export function requireWorkspaceAdmin(caller: Caller, workspace: WorkspaceContext, allowOperator: boolean): void {
  if (allowOperator && caller.isOperator) {
    return;
  }
  const role = workspace.callerRole;
  if (role !== 'admin') {
    throw problems.forbidden(
      `only an admin of workspace "${workspace.slug}" may do this, and the caller is ${role ? `a ${role}` : 'not a member'}; ask one of its admins`,
    );
  }
}

export function requireOperator(caller: Caller, what: string): void {
  if (!caller.isOperator) {
    throw problems.forbidden(`only an operator may ${what}`);
  }
}

/** Plans a complete data purge: a workspace deletion by one of its admins, or a purge on a ticket by an operator. */
export async function planWorkspacePurge(
  manager: EntityManager,
  caller: Caller,
  body: { kind: 'workspace' | 'purge'; workspace: string; ticket?: string; reason?: string },
): Promise<RequestPlan> {
  if (body.kind === 'purge') {
    requireOperator(caller, 'purge a workspace on a ticket; workspace admins use kind "workspace"');
  }
  const workspace = await resolveWorkspace(manager, body.workspace, caller);
  if (body.kind === 'workspace') {
    requireWorkspaceAdmin(caller, workspace, false);
  }
  return {
    kind: body.kind,
    workspace,
    scope: { type: 'workspace' },
    ticket: body.ticket ?? null,
    reason: body.reason ?? null,
    purges: true,
    admins: workspace.admins,
    auditDetails: { kind: body.kind, workspace: workspace.slug },
  };
}
