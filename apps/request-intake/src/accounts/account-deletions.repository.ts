import { EntityManager } from 'typeorm';
import { DeletionRequestRow } from '../deletion-requests/deletion-request.repository';

/**
 * Completes pending account deletions that were waiting for `requestId`:
 * once all of an account's workspace requests have completed, its record is
 * removed. Called in the transaction that records the request's outcome.
 */
export async function completeAccountDeletions(manager: EntityManager, requestId: string): Promise<void> {
  const pending: Array<{ account_id: string; request_ids: string[] }> = await manager.query(
    `SELECT account_id, request_ids FROM intake.account_deletions WHERE status = 'pending' AND $1 = ANY(request_ids) FOR UPDATE`,
    [requestId],
  );
  for (const deletion of pending) {
    const statuses: Array<Pick<DeletionRequestRow, 'status'>> = await manager.query(
      'SELECT status FROM intake.deletion_requests WHERE id = ANY($1::uuid[])',
      [deletion.request_ids],
    );
    if (statuses.every((row) => row.status === 'completed')) {
      await manager.query(`UPDATE intake.account_deletions SET status = 'completed', completed_at = now() WHERE account_id = $1`, [deletion.account_id]);
      await removeAccountRecord(manager, deletion.account_id);
    }
  }
}

/** Marks the account deletion that includes `requestId` cancelled: the account stays when one of its workspace deletions is cancelled. */
export async function cancelAccountDeletions(manager: EntityManager, requestId: string): Promise<void> {
  await manager.query(`UPDATE intake.account_deletions SET status = 'cancelled' WHERE status = 'pending' AND $1 = ANY(request_ids)`, [requestId]);
}

/** Removes an account record: its email, name and password hash are erased; the id stays for the audit trail. */
export async function removeAccountRecord(manager: EntityManager, accountId: string): Promise<void> {
  await manager.query(
    `UPDATE intake.accounts SET removed_at = now(), email = 'removed+' || id || '@deleted.invalid', name = 'removed account',
       password_hash = '!', platform_roles = '{}', updated_at = now()
     WHERE id = $1`,
    [accountId],
  );
  await manager.query('DELETE FROM intake.memberships WHERE account_id = $1', [accountId]);
}
