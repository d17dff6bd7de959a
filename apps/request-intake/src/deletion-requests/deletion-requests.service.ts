import { deletionCancelledV1, deletionRequestedV1, purgeDueV1 } from '@deletion/contracts';
import { OutboxWriter } from '@deletion/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Caller } from '../auth/caller';
import { DirectoryRepository } from '../directory/directory.repository';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { problems } from '../problem/problem.exception';
import { INTAKE_DATA_SOURCE, INTAKE_OUTBOX } from '../runtime.tokens';
import { CancelDeletionRequestBody, CreateDeletionRequestBody } from './deletion-request.schemas';
import { DeletionRequestRepository, DeletionRequestRow } from './deletion-request.repository';
import { DeletionRequestView } from './deletion-request.view';
import { computeRequestSchedule } from './request-schedule.util';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Accepts, shows and cancels deletion requests. Every state change is
 * committed with its audit entry and the event it publishes, in one transaction.
 */
@Injectable()
export class DeletionRequestsService {
  private readonly logger = new Logger(DeletionRequestsService.name);

  constructor(
    @Inject(INTAKE_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(INTAKE_OUTBOX) private readonly outbox: OutboxWriter,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  async create(caller: Caller, body: CreateDeletionRequestBody): Promise<DeletionRequestView> {
    const view = await this.dataSource.transaction(async (manager) => {
      const directory = new DirectoryRepository(manager);
      const requests = new DeletionRequestRepository(manager);

      const workspace = await directory.findWorkspace(body.workspace);
      if (!workspace) {
        throw problems.notFound(
          'workspace-not-found',
          `workspace "${body.workspace}" does not exist; give the exact slug or id of a workspace you administer`,
          'workspace',
        );
      }
      const role = await directory.findRole(workspace.id, caller.accountId);
      if (role !== 'admin') {
        throw problems.forbidden(
          `only an admin of workspace "${workspace.slug}" may delete it, and the caller is ${role ? `a ${role}` : 'not a member'}; ask one of its admins`,
        );
      }
      const open = await requests.findOpenWorkspacePurge(workspace.id);
      if (open) {
        throw problems.conflict(
          'deletion-already-open',
          `workspace "${workspace.slug}" already has an open deletion request ${open.id} (${open.status}); follow or cancel that one`,
          { requestId: open.id },
        );
      }

      const createdAt = new Date();
      const schedule = computeRequestSchedule(body.kind, createdAt, this.config.GRACE_PERIOD, this.config.PURGE_DEADLINE);
      const id = randomUUID();
      const scope = { type: 'workspace' as const };
      const status = schedule.graceEndsAt ? 'scheduled' : 'due';

      await requests.insert({
        id,
        kind: body.kind,
        status,
        workspaceId: workspace.id,
        requestedBy: caller.accountId,
        scope,
        reason: body.reason ?? null,
        createdAt,
        graceEndsAt: schedule.graceEndsAt,
        deadline: schedule.deadline,
      });
      await requests.appendAudit({
        requestId: id,
        actor: caller.accountId,
        action: 'requested',
        reason: body.reason,
        details: { kind: body.kind, workspace: workspace.slug, graceEndsAt: schedule.graceEndsAt?.toISOString() ?? null },
      });

      const admins = await directory.listAdmins(workspace.id);
      await this.outbox.add(manager, deletionRequestedV1, {
        key: workspace.id,
        requestId: id,
        workspaceId: workspace.id,
        payload: {
          requestId: id,
          kind: body.kind,
          workspaceId: workspace.id,
          workspaceSlug: workspace.slug,
          requestedBy: caller.accountId,
          scope,
          createdAt: createdAt.toISOString(),
          graceEndsAt: schedule.graceEndsAt?.toISOString() ?? null,
          deadline: schedule.deadline.toISOString(),
          recipients: admins.map((admin) => ({ accountId: admin.id, email: admin.email })),
        },
      });
      if (status === 'due') {
        await this.publishPurgeDue(manager, id);
      }

      const row = await requests.find(id);
      return requests.toView(row as DeletionRequestRow, new Date());
    });
    this.logger.log(`request ${view.id}: ${view.kind} deletion of workspace ${view.workspaceId} accepted (${view.status})`);
    return view;
  }

  async get(caller: Caller, id: string): Promise<DeletionRequestView> {
    return this.dataSource.transaction(async (manager) => {
      const requests = new DeletionRequestRepository(manager);
      const row = await this.findVisible(manager, caller, id);
      return requests.toView(row, new Date());
    });
  }

  async cancel(caller: Caller, id: string, body: CancelDeletionRequestBody): Promise<DeletionRequestView> {
    const view = await this.dataSource.transaction(async (manager) => {
      const requests = new DeletionRequestRepository(manager);
      const row = await this.findVisible(manager, caller, id);
      await this.requireAdminOrOperator(manager, caller, row);

      if (row.status === 'cancelled') {
        return requests.toView(row, new Date());
      }
      if (!(await requests.cancelIfInGrace(id, caller.accountId))) {
        const current = (await requests.find(id)) as DeletionRequestRow;
        if (current.status === 'cancelled') {
          return requests.toView(current, new Date());
        }
        throw problems.conflict(
          'purge-begun',
          `request ${id} can no longer be cancelled: its grace period ended at ${current.grace_ends_at?.toISOString() ?? 'its creation'} and the purge has begun (status ${current.status}); a purge is irreversible`,
          { status: current.status },
        );
      }

      await requests.appendAudit({ requestId: id, actor: caller.accountId, action: 'cancelled', reason: body.reason });
      await this.outbox.add(manager, deletionCancelledV1, {
        key: row.workspace_id,
        requestId: id,
        workspaceId: row.workspace_id,
        payload: {
          requestId: id,
          workspaceId: row.workspace_id,
          cancelledBy: caller.accountId,
          reason: body.reason ?? null,
          cancelledAt: new Date().toISOString(),
        },
      });
      return requests.toView((await requests.find(id)) as DeletionRequestRow, new Date());
    });
    this.logger.log(`request ${id}: cancel by ${caller.accountId} left it ${view.status}`);
    return view;
  }

  /**
   * Ends a request's grace period: moves it to `due` and publishes `purge.due`
   * in one transaction. A request that was cancelled first stays cancelled
   * and nothing is published.
   */
  async endGracePeriod(manager: EntityManager, requestId: string): Promise<'due' | 'not-scheduled' | 'grace-not-ended'> {
    const requests = new DeletionRequestRepository(manager);
    const outcome = await requests.markDueIfGraceEnded(requestId);
    if (outcome !== 'due') {
      return outcome;
    }
    await requests.appendAudit({ requestId, actor: 'system:grace-scheduler', action: 'grace-period-ended' });
    await this.publishPurgeDue(manager, requestId);
    return outcome;
  }

  private async publishPurgeDue(manager: EntityManager, requestId: string): Promise<void> {
    const requests = new DeletionRequestRepository(manager);
    const row = (await requests.find(requestId)) as DeletionRequestRow;
    await this.outbox.add(manager, purgeDueV1, {
      key: row.workspace_id,
      requestId,
      workspaceId: row.workspace_id,
      payload: {
        requestId,
        kind: row.kind,
        workspaceId: row.workspace_id,
        scope: row.scope,
        deadline: row.deadline.toISOString(),
      },
    });
  }

  /** Loads a request the caller may see; one the caller may not see is reported as missing, so ids do not leak. */
  private async findVisible(manager: EntityManager, caller: Caller, id: string): Promise<DeletionRequestRow> {
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

  private async requireAdminOrOperator(manager: EntityManager, caller: Caller, row: DeletionRequestRow): Promise<void> {
    if (caller.isOperator) {
      return;
    }
    const role = await new DirectoryRepository(manager).findRole(row.workspace_id, caller.accountId);
    if (role !== 'admin') {
      throw problems.forbidden(`only an admin of the workspace or an operator may cancel request ${row.id}`);
    }
  }
}
