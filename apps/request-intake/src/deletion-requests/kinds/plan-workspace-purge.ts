import { EntityManager } from 'typeorm';
import { Caller } from '../../auth/caller';
import { DirectoryRepository, WorkspaceRecord } from '../../directory/directory.repository';
import { problems } from '../../problem/problem.exception';
import { RequestPlan } from './request-plan';

/** Resolves a workspace slug or id to exactly one workspace, or fails with a 404 that names the value. */
export async function resolveWorkspace(manager: EntityManager, reference: string): Promise<WorkspaceRecord> {
  const workspace = await new DirectoryRepository(manager).findWorkspace(reference);
  if (!workspace) {
    throw problems.notFound('workspace-not-found', `workspace "${reference}" does not exist; give the exact slug or id of the workspace`, 'workspace');
  }
  return workspace;
}

/** Rejects a caller who is not an admin of the workspace (operators pass when `allowOperator`). */
export async function requireWorkspaceAdmin(manager: EntityManager, caller: Caller, workspace: WorkspaceRecord, allowOperator: boolean): Promise<void> {
  if (allowOperator && caller.isOperator) {
    return;
  }
  const role = await new DirectoryRepository(manager).findRole(workspace.id, caller.accountId);
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
  const workspace = await resolveWorkspace(manager, body.workspace);
  if (body.kind === 'workspace') {
    await requireWorkspaceAdmin(manager, caller, workspace, false);
  }
  return {
    kind: body.kind,
    workspace,
    scope: { type: 'workspace' },
    ticket: body.ticket ?? null,
    reason: body.reason ?? null,
    purges: true,
    auditDetails: { kind: body.kind, workspace: workspace.slug },
  };
}
