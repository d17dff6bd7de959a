import { EntityManager } from 'typeorm';
import { Caller } from '../auth/caller';
import { DirectoryRepository } from '../directory/directory.repository';
import { problems } from '../problem/problem.exception';
import { DeletionRequestRepository, DeletionRequestRow } from './deletion-request.repository';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Loads a request the caller may see: operators see every request, others
 * the ones they requested and those of workspaces they administer. A request
 * the caller may not see is reported as missing, so request ids do not leak.
 */
export async function findVisibleRequest(manager: EntityManager, caller: Caller, id: string): Promise<DeletionRequestRow> {
  if (!UUID_PATTERN.test(id)) {
    throw problems.validation([{ field: 'id', detail: `"${id}" is not a request id; request ids are UUIDs` }]);
  }
  const row = await new DeletionRequestRepository(manager).find(id);
  const notFound = problems.notFound('request-not-found', `deletion request ${id} does not exist or is not visible to the caller`);
  if (!row) {
    throw notFound;
  }
  if (caller.isOperator || row.requested_by === caller.accountId) {
    return row;
  }
  const role = await new DirectoryRepository(manager).findRole(row.workspace_id, caller.accountId);
  if (role !== 'admin') {
    throw notFound;
  }
  return row;
}

/** Rejects a caller who is neither an operator nor an admin of the request's workspace. */
export async function requireAdminOrOperator(manager: EntityManager, caller: Caller, row: DeletionRequestRow, action: string): Promise<void> {
  if (caller.isOperator) {
    return;
  }
  const role = await new DirectoryRepository(manager).findRole(row.workspace_id, caller.accountId);
  if (role !== 'admin') {
    throw problems.forbidden(`only an admin of the workspace or an operator may ${action} request ${row.id}`);
  }
}
