import { KINDS_WITH_GRACE_PERIOD, deletionCancelledV1, deletionRequestedV1, purgeDueV1, purgeRetryRequestedV1 } from '@deletion/contracts';
import { OutboxEvent, OutboxWriter, WriteStatement, runWritesAsOneStatement } from '@deletion/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Caller } from '../auth/caller';
import { DirectoryRepository } from '../directory/directory.repository';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { IdempotencyStore, IdempotentResult, hashRequestBody, saveIdempotencyKeyStatement } from '../idempotency/idempotency.store';
import { ProblemException, problems } from '../problem/problem.exception';
import { INTAKE_DATA_SOURCE, INTAKE_OUTBOX } from '../runtime.tokens';
import { findVisibleRequest, requireAdminOrOperator } from './deletion-request-access';
import { CancelDeletionRequestBody, CreateDeletionRequestBody, ListDeletionRequestsQuery } from './deletion-request.schemas';
import { DeletionRequestRepository, DeletionRequestRow, buildRequestView, insertRequestStatements } from './deletion-request.repository';
import { AuditEventView, DeletionRequestPage, DeletionRequestView } from './deletion-request.view';
import { decodeCursor, encodeCursor } from './request-cursor.util';
import { computeRequestSchedule } from './request-schedule.util';
import { planLegacyArchivePurge } from './kinds/plan-legacy-archive-purge';
import { planSourceDeletion } from './kinds/plan-source-deletion';
import { planUserDeletion } from './kinds/plan-user-deletion';
import { planWorkspacePurge } from './kinds/plan-workspace-purge';
import { RequestPlan } from './kinds/request-plan';
import { SuppressionsService } from '../suppressions/suppressions.service';
import { cancelAccountDeletions } from '../accounts/account-deletions.repository';
import { WorkspaceContextCache } from '../directory/workspace-context.cache';

/** Request bodies of the kinds that create one request; an account deletion creates several and has its own service. */
export type RequestBody = Exclude<CreateDeletionRequestBody, { kind: 'account' }>;

const UNIQUE_VIOLATION = '23505';

/**
 * Accepts, shows and cancels deletion requests. Every state change is
 * committed with its audit entry and the events it publishes, in one
 * transaction or one statement.
 */
@Injectable()
export class DeletionRequestsService {
  private readonly logger = new Logger(DeletionRequestsService.name);

  constructor(
    @Inject(INTAKE_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(INTAKE_OUTBOX) private readonly outbox: OutboxWriter,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(SuppressionsService) private readonly suppressions: SuppressionsService,
    @Inject(WorkspaceContextCache) private readonly directoryReads: WorkspaceContextCache,
  ) {}

  /**
   * Accepts a request in two round trips: the workspace read, then its
   * writes (the request, its audit entry, its events and the
   * Idempotency-Key) as one statement. The key is looked up only when the
   * attempt fails: a stored key makes the write fail on its unique index,
   * and a repeated request can also fail planning (its first attempt opened
   * the purge it now conflicts with). Either way the stored response is
   * replayed. A suppression change reads back the subjects it changed, so
   * such a plan is stored in a transaction.
   */
  async create(caller: Caller, body: RequestBody, idempotencyKey?: string): Promise<IdempotentResult<DeletionRequestView>> {
    const operation = 'POST /v1/deletion-requests';
    // The body's hash matters only to a request with a key.
    const idempotency = idempotencyKey ? { key: idempotencyKey, operation, requestHash: hashRequestBody(operation, body) } : undefined;
    const result = await this.runAgainAfterConflict(operation, idempotencyKey, async (): Promise<IdempotentResult<DeletionRequestView>> => {
      try {
        return { value: await this.accept(caller, body, idempotency), replayed: false };
      } catch (error) {
        if (idempotency && (isUniqueViolation(error) || error instanceof ProblemException)) {
          const store = new IdempotencyStore(this.dataSource.manager);
          const replay = await store.findReplay<DeletionRequestView>(caller.accountId, idempotency.key, operation, idempotency.requestHash, { lock: false });
          if (replay !== undefined) {
            return { value: replay, replayed: true };
          }
        }
        throw error;
      }
    });
    if (!result.replayed) {
      const view = result.value;
      this.logger.log(`request ${view.id}: ${view.kind} deletion of workspace ${view.workspaceId} accepted (${view.status})`);
    }
    return result;
  }

  private async accept(caller: Caller, body: RequestBody, idempotency?: { key: string; operation: string; requestHash: string }): Promise<DeletionRequestView> {
    const manager = this.dataSource.manager;
    const plan = await this.plan(manager, caller, body);
    if (plan.suppression) {
      return this.dataSource.transaction(async (transaction) => {
        const value = await this.storeRequest(transaction, caller.accountId, plan);
        if (idempotency) {
          await new IdempotencyStore(transaction).save(caller.accountId, idempotency.key, idempotency.operation, idempotency.requestHash, 202, value);
        }
        return value;
      });
    }
    const prepared = await this.prepareRequest(manager, caller.accountId, plan);
    const writes = idempotency
      ? [...prepared.writes, saveIdempotencyKeyStatement(caller.accountId, idempotency.key, idempotency.operation, idempotency.requestHash, 202, prepared.view)]
      : prepared.writes;
    await runWritesAsOneStatement(manager, writes);
    return prepared.view;
  }

  private plan(manager: EntityManager, caller: Caller, body: RequestBody): Promise<RequestPlan> {
    switch (body.kind) {
      case 'workspace':
      case 'purge':
        return planWorkspacePurge(manager, caller, body);
      case 'user':
        return planUserDeletion(manager, caller, body, this.directoryReads);
      case 'source':
        return planSourceDeletion(manager, caller, body);
      case 'legacy_archive_purge':
        return planLegacyArchivePurge(manager, caller, body);
    }
  }

  /**
   * Stores a planned request with its audit entry, its suppression change and
   * the events it publishes, in the caller's transaction.
   */
  async storeRequest(manager: EntityManager, requestedBy: string, plan: RequestPlan): Promise<DeletionRequestView> {
    const prepared = await this.prepareRequest(manager, requestedBy, plan);
    await runWritesAsOneStatement(manager, prepared.writes);
    if (plan.suppression) {
      await this.suppressions.apply(manager, { requestId: prepared.view.id, workspaceId: plan.workspace.id, actor: requestedBy, ...plan.suppression });
    }
    return prepared.view;
  }

  /**
   * Reads what storing a planned request needs and builds its writes (the
   * request, its audit entry and its events) without running them. Kinds
   * with a grace period start `scheduled`, other purges `due` (publishing
   * `purge.due` at once), and a pure suppression change is `completed` on
   * the spot. The suppression change itself is not among the writes.
   */
  private async prepareRequest(manager: EntityManager, requestedBy: string, plan: RequestPlan): Promise<{ writes: WriteStatement[]; view: DeletionRequestView }> {
    const { workspace } = plan;

    if (KINDS_WITH_GRACE_PERIOD.has(plan.kind)) {
      const open = await new DeletionRequestRepository(manager).findOpenWorkspacePurge(workspace.id);
      if (open) {
        throw problems.conflict(
          'deletion-already-open',
          `workspace "${workspace.slug}" already has an open deletion request ${open.id} (${open.status}); follow or cancel that one`,
          { requestId: open.id },
        );
      }
    }

    const createdAt = new Date();
    const schedule = computeRequestSchedule(plan.kind, createdAt, this.config.GRACE_PERIOD, this.config.PURGE_DEADLINE);
    const id = randomUUID();
    let status: 'completed' | 'scheduled' | 'due' = 'due';
    if (!plan.purges) {
      status = 'completed';
    } else if (schedule.graceEndsAt) {
      status = 'scheduled';
    }

    const writes = insertRequestStatements(
      {
        id,
        kind: plan.kind,
        status,
        workspaceId: workspace.id,
        requestedBy,
        scope: plan.scope,
        reason: plan.reason,
        ticket: plan.ticket,
        createdAt,
        graceEndsAt: schedule.graceEndsAt,
        deadline: schedule.deadline,
      },
      {
        actor: requestedBy,
        action: 'requested',
        reason: plan.reason,
        ticket: plan.ticket,
        details: { ...plan.auditDetails, graceEndsAt: schedule.graceEndsAt?.toISOString() ?? null },
      },
    );

    const admins = plan.admins ?? (await new DirectoryRepository(manager).listAdmins(workspace.id));
    const events: OutboxEvent[] = [];
    events.push({
      contract: deletionRequestedV1,
      key: workspace.id,
      requestId: id,
      workspaceId: workspace.id,
      payload: {
        requestId: id,
        kind: plan.kind,
        workspaceId: workspace.id,
        workspaceSlug: workspace.slug,
        requestedBy,
        scope: plan.scope,
        regulation: plan.regulation,
        createdAt: createdAt.toISOString(),
        graceEndsAt: schedule.graceEndsAt?.toISOString() ?? null,
        deadline: schedule.deadline.toISOString(),
        recipients: admins.map((admin) => ({ accountId: admin.id, email: admin.email })),
      },
    });
    // The row as just inserted, so neither the purge order nor the response needs to read it back.
    const row: DeletionRequestRow = {
      id,
      kind: plan.kind,
      status,
      workspace_id: workspace.id,
      workspace_slug: workspace.slug,
      requested_by: requestedBy,
      scope: plan.scope,
      reason: plan.reason,
      ticket: plan.ticket,
      created_at: createdAt,
      grace_ends_at: schedule.graceEndsAt,
      deadline: schedule.deadline,
      completed_at: status === 'completed' ? createdAt : null,
      cancelled_at: null,
      cancelled_by: null,
      receipt: status === 'completed' ? [] : null,
    };
    if (status === 'due') {
      events.push(purgeDueEvent(row));
    }
    writes.push(this.outbox.insertStatement(events).statement);
    return { writes, view: buildRequestView(row, [], new Date()) };
  }

  async get(caller: Caller, id: string): Promise<DeletionRequestView> {
    return this.dataSource.transaction(async (manager) => {
      const requests = new DeletionRequestRepository(manager);
      const row = await findVisibleRequest(manager, caller, id);
      return requests.toView(row, new Date());
    });
  }

  async list(caller: Caller, query: ListDeletionRequestsQuery): Promise<DeletionRequestPage> {
    return this.dataSource.transaction(async (manager) => {
      const requests = new DeletionRequestRepository(manager);
      let workspaceId: string | undefined;
      if (query.workspace) {
        const workspace = await new DirectoryRepository(manager).findWorkspace(query.workspace);
        if (!workspace) {
          return { items: [], nextCursor: null };
        }
        workspaceId = workspace.id;
      }
      const rows = await requests.list({
        visibleTo: caller.isOperator ? undefined : caller.accountId,
        workspaceId,
        status: query.status,
        kind: query.kind,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const now = new Date();
      const items = [];
      for (const row of page) {
        items.push(await requests.toView(row, now));
      }
      const last = page[page.length - 1];
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null };
    });
  }

  async audit(caller: Caller, id: string): Promise<AuditEventView[]> {
    return this.dataSource.transaction(async (manager) => {
      const row = await findVisibleRequest(manager, caller, id);
      const events = await new DeletionRequestRepository(manager).listAudit(row.id);
      return events.map((event) => ({
        occurredAt: event.occurred_at.toISOString(),
        actor: event.actor,
        action: event.action,
        reason: event.reason,
        ticket: event.ticket,
        details: event.details,
      }));
    });
  }

  async cancel(caller: Caller, id: string, body: CancelDeletionRequestBody, idempotencyKey?: string): Promise<IdempotentResult<DeletionRequestView>> {
    const result = await this.runIdempotent(caller, idempotencyKey, `POST /v1/deletion-requests/${id}/cancel`, body, 200, (manager) =>
      this.cancelInTransaction(manager, caller, id, body),
    );
    this.logger.log(`request ${id}: cancel by ${caller.accountId} left it ${result.value.status}`);
    return result;
  }

  private async cancelInTransaction(manager: EntityManager, caller: Caller, id: string, body: CancelDeletionRequestBody): Promise<DeletionRequestView> {
      const requests = new DeletionRequestRepository(manager);
      const row = await findVisibleRequest(manager, caller, id);
      await requireAdminOrOperator(manager, caller, row, 'cancel');

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
          { requestStatus: current.status },
        );
      }

      await requests.appendAudit({ requestId: id, actor: caller.accountId, action: 'cancelled', reason: body.reason });
      await cancelAccountDeletions(manager, id);
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
  }

  /**
   * Runs the failed areas of a failed request again, for an operator. The
   * request returns to `purging`; each failed area starts over with a fresh
   * attempt count and must acknowledge again.
   */
  async retry(caller: Caller, id: string, idempotencyKey?: string): Promise<IdempotentResult<DeletionRequestView>> {
    if (!caller.isOperator) {
      throw problems.forbidden(`only an operator may retry request ${id}`);
    }
    const result = await this.runIdempotent(caller, idempotencyKey, `POST /v1/deletion-requests/${id}/retry`, {}, 202, async (manager) => {
      const requests = new DeletionRequestRepository(manager);
      const row = await findVisibleRequest(manager, caller, id);
      const failedAreas = (await requests.listAreas(id)).filter((area) => area.status === 'failed').map((area) => area.area);
      if (row.status !== 'failed' || failedAreas.length === 0) {
        throw problems.conflict('request-not-failed', `request ${id} is ${row.status}; only a failed request can be retried`, { requestStatus: row.status });
      }
      await requests.reopenFailed(id);
      await requests.appendAudit({ requestId: id, actor: caller.accountId, action: 'retry-requested', details: { areas: failedAreas } });
      await this.outbox.add(manager, purgeRetryRequestedV1, {
        key: row.workspace_id,
        requestId: id,
        workspaceId: row.workspace_id,
        payload: { requestId: id, workspaceId: row.workspace_id, areas: failedAreas, requestedBy: caller.accountId },
      });
      return requests.toView((await requests.find(id)) as DeletionRequestRow, new Date());
    });
    this.logger.log(`request ${id}: retry requested by ${caller.accountId}`);
    return result;
  }

  /**
   * Runs `work` in a transaction that also checks and records the caller's
   * Idempotency-Key. A concurrent request can win a unique index first (the
   * same key, or an open purge of the same workspace); this transaction is
   * then rolled back and run once more, and reads the winner's rows.
   */
  async runIdempotent<T>(
    caller: Caller,
    idempotencyKey: string | undefined,
    operation: string,
    body: unknown,
    status: number,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<IdempotentResult<T>> {
    const requestHash = hashRequestBody(operation, body);
    return this.runAgainAfterConflict(operation, idempotencyKey, () =>
      this.dataSource.transaction(async (manager) => {
        const store = new IdempotencyStore(manager);
        if (idempotencyKey) {
          const replay = await store.findReplay<T>(caller.accountId, idempotencyKey, operation, requestHash);
          if (replay !== undefined) {
            return { value: replay, replayed: true };
          }
        }
        const value = await work(manager);
        if (idempotencyKey) {
          await store.save(caller.accountId, idempotencyKey, operation, requestHash, status, value);
        }
        return { value, replayed: false };
      }),
    );
  }

  /**
   * Runs `attempt` once more when a concurrent request won a unique index
   * first (the same key, or an open purge of the same workspace). The second
   * attempt reads the winner's rows: it replays the winner's response or
   * reports the conflict.
   */
  private async runAgainAfterConflict<T>(operation: string, idempotencyKey: string | undefined, attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (isUniqueViolation(error)) {
        this.logger.warn(`${operation}: a concurrent request won a unique index; running it again`);
        return attempt();
      }
      // A retry with the same key can commit between this attempt's key
      // check and its own reads, which then see the retry's request as a
      // conflicting one. Running again finds the key and replays.
      if (idempotencyKey && error instanceof ProblemException && error.getStatus() === 409) {
        return attempt();
      }
      throw error;
    }
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
    await this.publishPurgeDue(manager, (await requests.find(requestId)) as DeletionRequestRow);
    return outcome;
  }

  private async publishPurgeDue(manager: EntityManager, row: DeletionRequestRow): Promise<void> {
    await this.outbox.addAll(manager, [purgeDueEvent(row)]);
  }

}

/** Builds the order to purge a request's data, for every product area. */
function purgeDueEvent(row: DeletionRequestRow): OutboxEvent {
  return {
    contract: purgeDueV1,
    key: row.workspace_id,
    requestId: row.id,
    workspaceId: row.workspace_id,
    payload: { requestId: row.id, kind: row.kind, workspaceId: row.workspace_id, scope: row.scope, deadline: row.deadline.toISOString() },
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION;
}
