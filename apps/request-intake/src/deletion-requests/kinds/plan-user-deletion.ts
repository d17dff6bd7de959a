import { EntityManager } from 'typeorm';
import { Caller } from '../../auth/caller';
import { UserDeletionBody } from '../deletion-request.schemas';
import { RequestPlan } from './request-plan';
import { WorkspaceContextCache } from '../../directory/workspace-context.cache';
import { requireWorkspaceAdmin, resolveWorkspace } from './plan-workspace-purge';

/**
 * Plans an end-user regulation. `delete` and `suppress_with_delete` purge the
 * subjects' data in every area; `suppress` and `unsuppress` only change the
 * suppression list. Bursts of these come from one workspace's automation,
 * so the workspace may come from `directoryReads`.
 */
export async function planUserDeletion(manager: EntityManager, caller: Caller, body: UserDeletionBody, directoryReads?: WorkspaceContextCache): Promise<RequestPlan> {
  const workspace = await resolveWorkspace(manager, body.workspace, caller, directoryReads);
  requireWorkspaceAdmin(caller, workspace, true);
  const subjects = [...new Set(body.subjects)];
  const purges = body.regulation === 'delete' || body.regulation === 'suppress_with_delete';
  return {
    kind: 'user',
    workspace,
    scope: { type: 'subjects', subjectType: body.subjectType, subjects },
    ticket: null,
    reason: body.reason ?? null,
    purges,
    admins: workspace.admins,
    regulation: body.regulation,
    suppression: body.regulation === 'delete' ? undefined : { regulation: body.regulation, subjectType: body.subjectType, subjects },
    auditDetails: { regulation: body.regulation, subjectType: body.subjectType, subjectCount: subjects.length },
  };
}
