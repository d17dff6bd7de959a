import {
  EventEnvelope,
  PayloadOf,
  accountCreatedV1,
  accountRemovedV1,
  membershipChangedV1,
  membershipGrantedV1,
  membershipRevokedV1,
  sourceCreatedV1,
  workspaceCreatedV1,
  workspaceDeletedV1,
  workspaceRenamedV1,
} from '@deletion/contracts';
import { EventConsumer, MissingReferenceError } from '@deletion/kafka';
import { claimInboxEvent, queryRows } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DeletionRequestRepository } from '../deletion-requests/deletion-request.repository';
import { DeletionRequestsService } from '../deletion-requests/deletion-requests.service';
import { LEGACY_ARCHIVE_CUTOFF } from '../deletion-requests/kinds/plan-legacy-archive-purge';
import { DirectoryRepository, WorkspaceRecord } from './directory.repository';
import { WorkspaceContextCache } from './workspace-context.cache';

/**
 * Keeps the directory (workspaces, sources, accounts, memberships) current
 * from the platform's events, and starts a workspace deletion when the app
 * deleted a workspace. Every handler is an upsert or a guarded update, so a
 * redelivered event changes nothing.
 */
export class PlatformEventsHandler {
  private readonly logger = new Logger(PlatformEventsHandler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumerName: string,
    private readonly requests: DeletionRequestsService,
    private readonly directoryReads: WorkspaceContextCache,
  ) {}

  register(consumer: EventConsumer): void {
    consumer
      .on(workspaceCreatedV1, (event) => this.once(event, (manager) => this.upsertWorkspace(manager, event.payload)))
      .on(workspaceRenamedV1, (event) => this.once(event, (manager) => this.renameWorkspace(manager, event.payload)))
      .on(workspaceDeletedV1, (event) => this.once(event, (manager) => this.markWorkspaceDeleted(manager, event.payload)))
      .on(sourceCreatedV1, (event) => this.once(event, (manager) => this.upsertSource(manager, event.payload)))
      .on(accountCreatedV1, (event) => this.once(event, (manager) => this.upsertAccount(manager, event.payload)))
      .on(accountRemovedV1, (event) => this.once(event, (manager) => this.removeAccount(manager, event.payload)))
      .on(membershipGrantedV1, (event) => this.once(event, (manager) => this.upsertMembership(manager, event.payload)))
      .on(membershipChangedV1, (event) => this.once(event, (manager) => this.upsertMembership(manager, event.payload)))
      .on(membershipRevokedV1, (event) => this.once(event, (manager) => this.revokeMembership(manager, event.payload)));
  }

  private async once(event: EventEnvelope<unknown>, apply: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (await claimInboxEvent(manager, 'intake', this.consumerName, event.eventId)) {
        await apply(manager);
      }
    });
    // After the commit, so a request that reads the directory from now on reads the change.
    this.directoryReads.clear();
  }

  private async upsertWorkspace(manager: EntityManager, workspace: PayloadOf<typeof workspaceCreatedV1>): Promise<void> {
    await manager.query(
      `INSERT INTO intake.workspaces (id, slug, name, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET slug = EXCLUDED.slug, name = EXCLUDED.name, updated_at = now()`,
      [workspace.workspaceId, workspace.slug, workspace.name, workspace.createdAt],
    );
  }

  private async renameWorkspace(manager: EntityManager, workspace: PayloadOf<typeof workspaceRenamedV1>): Promise<void> {
    const updated = await queryRows<unknown>(manager,
      `UPDATE intake.workspaces SET slug = $2, name = $3, updated_at = now() WHERE id = $1 RETURNING id`,
      [workspace.workspaceId, workspace.slug, workspace.name],
    );
    this.requireFound(updated, 'workspace', workspace.workspaceId);
  }

  /**
   * Records that the app deleted a workspace and starts its deletion,
   * requested by the account that deleted it, with the usual grace period.
   * A deletion from before 2022-03-31 is history: it is only recorded, and
   * its kept archive is purged on an operator's legacy archive purge.
   */
  private async markWorkspaceDeleted(manager: EntityManager, event: PayloadOf<typeof workspaceDeletedV1>): Promise<void> {
    const updated: unknown[] = await queryRows(
      manager,
      `UPDATE intake.workspaces SET deleted_at = $2, updated_at = now() WHERE id = $1 RETURNING id`,
      [event.workspaceId, event.deletedAt],
    );
    this.requireFound(updated, 'workspace', event.workspaceId);
    if (Date.parse(event.deletedAt) < LEGACY_ARCHIVE_CUTOFF.getTime()) {
      return;
    }

    const workspace = (await new DirectoryRepository(manager).findWorkspace(event.workspaceId)) as WorkspaceRecord;
    const open = await new DeletionRequestRepository(manager).findOpenWorkspacePurge(workspace.id);
    if (open) {
      this.logger.log(`workspace ${workspace.id} deleted in the app; request ${open.id} is already open`);
      return;
    }
    const view = await this.requests.storeRequest(manager, event.deletedBy, {
      kind: 'workspace',
      workspace,
      scope: { type: 'workspace' },
      ticket: null,
      reason: 'workspace deleted in the app',
      purges: true,
      auditDetails: { kind: 'workspace', workspace: workspace.slug, origin: 'platform-event' },
    });
    this.logger.log(`workspace ${workspace.id} deleted in the app; request ${view.id} scheduled`);
  }

  private async upsertSource(manager: EntityManager, source: PayloadOf<typeof sourceCreatedV1>): Promise<void> {
    await this.requireWorkspace(manager, source.workspaceId);
    await manager.query(
      `INSERT INTO intake.sources (id, workspace_id, slug, name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET slug = EXCLUDED.slug, name = EXCLUDED.name`,
      [source.sourceId, source.workspaceId, source.slug, source.name],
    );
  }

  private async upsertAccount(manager: EntityManager, account: PayloadOf<typeof accountCreatedV1>): Promise<void> {
    await manager.query(
      `INSERT INTO intake.accounts (id, email, name, password_hash, platform_roles) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, password_hash = EXCLUDED.password_hash,
         platform_roles = EXCLUDED.platform_roles, removed_at = NULL, updated_at = now()`,
      [account.accountId, account.email, account.name, account.passwordHash, account.platformRoles],
    );
  }

  private async removeAccount(manager: EntityManager, event: PayloadOf<typeof accountRemovedV1>): Promise<void> {
    await manager.query(`UPDATE intake.accounts SET removed_at = now(), updated_at = now() WHERE id = $1 AND removed_at IS NULL`, [
      event.accountId,
    ]);
  }

  private async upsertMembership(manager: EntityManager, membership: PayloadOf<typeof membershipGrantedV1>): Promise<void> {
    await this.requireWorkspace(manager, membership.workspaceId);
    const account: unknown[] = await manager.query('SELECT 1 FROM intake.accounts WHERE id = $1', [membership.accountId]);
    this.requireFound(account, 'account', membership.accountId);
    await manager.query(
      `INSERT INTO intake.memberships (workspace_id, account_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, account_id) DO UPDATE SET role = EXCLUDED.role`,
      [membership.workspaceId, membership.accountId, membership.role],
    );
  }

  private async revokeMembership(manager: EntityManager, membership: PayloadOf<typeof membershipRevokedV1>): Promise<void> {
    await manager.query('DELETE FROM intake.memberships WHERE workspace_id = $1 AND account_id = $2', [
      membership.workspaceId,
      membership.accountId,
    ]);
  }

  private async requireWorkspace(manager: EntityManager, workspaceId: string): Promise<void> {
    const rows: unknown[] = await manager.query('SELECT 1 FROM intake.workspaces WHERE id = $1', [workspaceId]);
    this.requireFound(rows, 'workspace', workspaceId);
  }

  private requireFound(rows: unknown[], what: string, id: string): void {
    if (rows.length === 0) {
            throw new MissingReferenceError(`unknown_${what}`, `${what} ${id} is not in the directory; it must be created first`);
    }
  }
}
