import { queryRows } from '@deletion/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Caller } from '../auth/caller';
import { DirectoryRepository } from '../directory/directory.repository';
import { DeletionRequestRepository } from '../deletion-requests/deletion-request.repository';
import { DeletionRequestView } from '../deletion-requests/deletion-request.view';
import { DeletionRequestsService } from '../deletion-requests/deletion-requests.service';
import { IdempotentResult } from '../idempotency/idempotency.store';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { problems } from '../problem/problem.exception';
import { INTAKE_DATA_SOURCE } from '../runtime.tokens';
import { removeAccountRecord } from './account-deletions.repository';
import { checkPassword } from './password-check';
import { WorkspaceContextCache } from '../directory/workspace-context.cache';

export interface AccountDeletionView {
  kind: 'account';
  accountId: string;
  /** `pending` until every workspace request has completed; then the account record is removed. */
  status: 'pending' | 'completed';
  /** One workspace deletion per workspace the account administers, each with its own grace period. */
  requests: DeletionRequestView[];
  /** Workspaces where the account was only a member; it was removed from them at once. */
  removedMemberships: number;
}

/**
 * Deletes an account on its own request: after the password is re-entered,
 * one workspace deletion per administered workspace, removal from the
 * workspaces where it is a member, and removal of the account record once
 * every workspace deletion has completed.
 */
@Injectable()
export class AccountDeletionService {
  private readonly logger = new Logger(AccountDeletionService.name);

  constructor(
    @Inject(INTAKE_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(DeletionRequestsService) private readonly requests: DeletionRequestsService,
    @Inject(WorkspaceContextCache) private readonly directoryReads: WorkspaceContextCache,
  ) {}

  async create(caller: Caller, body: { password: string; reason?: string }, idempotencyKey?: string): Promise<IdempotentResult<AccountDeletionView>> {
    const account = await new DirectoryRepository(this.dataSource.manager).findAccount(caller.accountId);
    if (!account) {
      throw problems.notFound('account-not-found', `account ${caller.accountId} does not exist or was already removed`);
    }
    await checkPassword(
      this.dataSource,
      { maxFailures: this.config.PASSWORD_MAX_FAILURES, windowMs: this.config.PASSWORD_FAILURE_WINDOW },
      account,
      body.password,
    );

    // The password is left out of the idempotency hash, so no form of it is stored.
    const result = await this.requests.runIdempotent(caller, idempotencyKey, 'POST /v1/deletion-requests', { kind: 'account', reason: body.reason }, 202, (manager) =>
      this.createInTransaction(manager, caller.accountId, body.reason ?? null),
    );
    // The deletion removed the account's memberships, or the account itself.
    this.directoryReads.clear();
    this.logger.log(`account ${caller.accountId}: deletion ${result.replayed ? 'replayed' : 'accepted'} with ${result.value.requests.length} workspace request(s)`);
    return result;
  }

  private async createInTransaction(manager: EntityManager, accountId: string, reason: string | null): Promise<AccountDeletionView> {
    const directory = new DirectoryRepository(manager);
    const requestRepository = new DeletionRequestRepository(manager);

    const open: unknown[] = await manager.query(`SELECT 1 FROM intake.account_deletions WHERE account_id = $1 AND status = 'pending'`, [accountId]);
    if (open.length > 0) {
      throw problems.conflict('account-deletion-already-open', `account ${accountId} already has a pending deletion; follow its workspace requests`);
    }

    const views: DeletionRequestView[] = [];
    for (const workspace of await directory.listAdministeredWorkspaces(accountId)) {
      const existing = await requestRepository.findOpenWorkspacePurge(workspace.id);
      if (existing) {
        views.push(await requestRepository.toView(existing, new Date()));
        continue;
      }
      views.push(
        await this.requests.storeRequest(manager, accountId, {
          kind: 'workspace',
          workspace,
          scope: { type: 'workspace' },
          ticket: null,
          reason: reason ?? 'account deletion',
          purges: true,
          auditDetails: { kind: 'workspace', workspace: workspace.slug, origin: 'account-deletion' },
        }),
      );
    }

    const removed = await queryRows(manager, `DELETE FROM intake.memberships WHERE account_id = $1 AND role = 'member' RETURNING workspace_id`, [accountId]);
    const status = views.length === 0 ? 'completed' : 'pending';
    await manager.query(
      `INSERT INTO intake.account_deletions (account_id, status, request_ids, completed_at)
       VALUES ($1, $2, $3, CASE WHEN $2::text = 'completed' THEN now() END)
       ON CONFLICT (account_id) DO UPDATE SET status = EXCLUDED.status, request_ids = EXCLUDED.request_ids,
         requested_at = now(), completed_at = EXCLUDED.completed_at`,
      [accountId, status, views.map((view) => view.id)],
    );
    if (status === 'completed') {
      await removeAccountRecord(manager, accountId);
    }
    return { kind: 'account', accountId, status, requests: views, removedMemberships: removed.length };
  }
}
