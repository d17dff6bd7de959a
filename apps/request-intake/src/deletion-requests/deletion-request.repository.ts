import { WriteStatement, queryRows, runOnceForEvents } from '@deletion/persistence';
import { AreaStatus, DeletionKind, PurgeScope, RequestStatus } from '@deletion/contracts';
import { EntityManager } from 'typeorm';
import { AreaProgressView, DeletionRequestView } from './deletion-request.view';
import { isCancellable } from './request-schedule.util';

export interface DeletionRequestRow {
  id: string;
  kind: DeletionKind;
  status: RequestStatus;
  workspace_id: string;
  workspace_slug: string | null;
  requested_by: string;
  scope: PurgeScope;
  reason: string | null;
  ticket: string | null;
  created_at: Date;
  grace_ends_at: Date | null;
  deadline: Date;
  completed_at: Date | null;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  receipt: DeletionRequestView['receipt'];
}

interface AreaRow {
  area: string;
  status: AreaStatus;
  counts: Record<string, number>;
  attempts: number;
  error: AreaProgressView['error'];
  next_attempt_at: Date | null;
}

export interface NewDeletionRequest {
  id: string;
  kind: DeletionKind;
  status: RequestStatus;
  workspaceId: string;
  requestedBy: string;
  scope: PurgeScope;
  reason: string | null;
  ticket: string | null;
  createdAt: Date;
  graceEndsAt: Date | null;
  deadline: Date;
}

export interface AuditEventRow {
  id: string;
  occurred_at: Date;
  actor: string;
  action: string;
  reason: string | null;
  ticket: string | null;
  details: Record<string, unknown>;
}

export interface RequestListFilter {
  /** Only requests the account requested or whose workspace it administers; undefined for operators, who see all. */
  visibleTo?: string;
  workspaceId?: string;
  status?: RequestStatus;
  kind?: DeletionKind;
  /** Position after which the page starts: the `created_at` and id of the last request of the previous page. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

export interface AuditEntry {
  requestId: string;
  actor: string;
  action: string;
  reason?: string | null;
  ticket?: string | null;
  details?: Record<string, unknown>;
}

export interface AreaUpdate {
  status: AreaStatus;
  attempts?: number;
  counts?: Record<string, number>;
  error?: unknown;
  nextAttemptAt?: string | null;
}

/** An event about one area of a request, to apply to its state once. */
export interface AreaEvent extends AreaUpdate {
  eventId: string;
  requestId: string;
  area: string;
}

/** A request whose purge started, from its `purge.started` event. */
export interface PurgeStartedEvent {
  eventId: string;
  requestId: string;
  areas: Array<{ area: string; status: AreaStatus }>;
}

/** A request's outcome, from its `deletion.completed` event. */
export interface RequestFinishedEvent {
  eventId: string;
  requestId: string;
  outcome: 'completed' | 'failed';
  completedAt: string;
  receipt: unknown;
}

/**
 * Upserts the state of each (request, area) of `$1`, a JSON array of area
 * events, for the events new to the inbox (see `runOnceForEvents`). A
 * succeeded or skipped area is final: a duplicate or late acknowledgement
 * never changes its counts. A failed area changes only to another final
 * result, never back to a late interim state. Interim events carry no
 * counts, so an area keeps the counts it has until its final result.
 * The requests' ids come again as `$2`, so each request is found by its
 * index whatever the planner thinks of the JSON's size. Rows are written in
 * the order of the request ids (see `LOCK_REQUESTS_IN_ORDER`).
 */
const UPSERT_AREAS_ONCE_SQL = `INSERT INTO intake.request_areas (request_id, area, status, counts, attempts, error, next_attempt_at)
          SELECT event.request_id, event.area, event.status, COALESCE(event.counts, '{}'), COALESCE(event.attempts, 0), event.error, event.next_attempt_at
            FROM jsonb_to_recordset($1::jsonb) AS event (event_id uuid, request_id uuid, area text, status text, counts jsonb, attempts int, error jsonb, next_attempt_at timestamptz)
           WHERE event.event_id IN (SELECT event_id FROM inbox_claim) AND event.request_id = ANY($2::uuid[])
           ORDER BY event.request_id
          ON CONFLICT (request_id, area) DO UPDATE SET
            status = EXCLUDED.status,
            counts = CASE WHEN EXCLUDED.status IN ('succeeded', 'failed', 'skipped') THEN EXCLUDED.counts ELSE intake.request_areas.counts END,
            attempts = GREATEST(intake.request_areas.attempts, EXCLUDED.attempts),
            error = EXCLUDED.error,
            next_attempt_at = EXCLUDED.next_attempt_at,
            updated_at = now()
          WHERE intake.request_areas.status NOT IN ('succeeded', 'skipped')
            AND (intake.request_areas.status <> 'failed' OR EXCLUDED.status IN ('succeeded', 'failed'))`;

/**
 * A CTE that locks the requests `$2` for an update, in the order of their
 * ids. Every statement that changes several requests, or the areas of
 * several requests, takes its row locks in that order. Two such statements
 * from different topics then never wait for each other in a circle, which
 * PostgreSQL would end with a deadlock error.
 */
const LOCK_REQUESTS_IN_ORDER = `locked AS (
         SELECT id FROM intake.deletion_requests WHERE id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE)`;

/** Throws unless every request appears once: one statement cannot update a row twice, and the order of two events of one request would be lost. */
function assertOneEventPerRequest(events: Array<{ requestId: string }>): void {
  if (new Set(events.map((event) => event.requestId)).size !== events.length) {
    throw new Error('invalid batch: it contains two events of one request; pass the events of one request in separate calls, in order');
  }
}

/** Builds the INSERTs of a new request and the first entry of its audit trail, to run as one statement. */
export function insertRequestStatements(request: NewDeletionRequest, audit: Omit<AuditEntry, 'requestId'>): WriteStatement[] {
  return [
    {
      sql: `INSERT INTO intake.deletion_requests
              (id, kind, status, workspace_id, requested_by, scope, reason, ticket, created_at, grace_ends_at, deadline, due_at, completed_at, receipt)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10, $11,
                    CASE WHEN $3::text = 'due' THEN $9::timestamptz END,
                    CASE WHEN $3::text = 'completed' THEN $9::timestamptz END,
                    CASE WHEN $3::text = 'completed' THEN '[]'::jsonb END)`,
      parameters: [
        request.id,
        request.kind,
        request.status,
        request.workspaceId,
        request.requestedBy,
        JSON.stringify(request.scope),
        request.reason,
        request.ticket,
        request.createdAt,
        request.graceEndsAt,
        request.deadline,
      ],
    },
    {
      sql: `INSERT INTO intake.audit_events (request_id, actor, action, reason, ticket, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      parameters: [request.id, audit.actor, audit.action, audit.reason ?? null, audit.ticket ?? null, JSON.stringify(audit.details ?? {})],
    },
  ];
}

const SELECT_REQUEST = `
  SELECT r.*, w.slug AS workspace_slug FROM intake.deletion_requests r
    LEFT JOIN intake.workspaces w ON w.id = r.workspace_id`;

/** Reads and writes deletion requests, their per-area progress and their audit trail, always in the caller's transaction. */
export class DeletionRequestRepository {
  constructor(private readonly manager: EntityManager) {}

  async find(id: string, options: { lock?: boolean } = {}): Promise<DeletionRequestRow | null> {
    const lock = options.lock ? ' FOR UPDATE OF r' : '';
    const rows: DeletionRequestRow[] = await this.manager.query(`${SELECT_REQUEST} WHERE r.id = $1${lock}`, [id]);
    return rows[0] ?? null;
  }

  async findOpenWorkspacePurge(workspaceId: string): Promise<DeletionRequestRow | null> {
    const rows: DeletionRequestRow[] = await this.manager.query(
      `${SELECT_REQUEST} WHERE r.workspace_id = $1 AND r.kind IN ('workspace', 'purge') AND r.status IN ('scheduled', 'due', 'purging')`,
      [workspaceId],
    );
    return rows[0] ?? null;
  }

  /**
   * Cancels a request that is scheduled and still inside its grace period,
   * judged by the database clock. Returns false when the request is past that
   * point; the row lock makes this and `markDue` exclusive, so exactly one wins.
   */
  async cancelIfInGrace(id: string, cancelledBy: string): Promise<boolean> {
    const rows = await queryRows<unknown>(this.manager,
      `UPDATE intake.deletion_requests
          SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2, updated_at = now()
        WHERE id = $1 AND status = 'scheduled' AND grace_ends_at > now()
        RETURNING id`,
      [id, cancelledBy],
    );
    return rows.length === 1;
  }

  /** Moves a scheduled request whose grace period has ended (by the database clock) to `due`. */
  async markDueIfGraceEnded(id: string): Promise<'due' | 'not-scheduled' | 'grace-not-ended'> {
    const rows = await queryRows<unknown>(this.manager,
      `UPDATE intake.deletion_requests SET status = 'due', due_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'scheduled' AND grace_ends_at <= now()
        RETURNING id`,
      [id],
    );
    if (rows.length === 1) {
      return 'due';
    }
    const current = await this.find(id);
    return current?.status === 'scheduled' ? 'grace-not-ended' : 'not-scheduled';
  }

  /**
   * Records the outcome of each request once per event: its status,
   * completion time and receipt, and the audit entry, in one statement with
   * the inbox rows. Only a request that is still due or purging changes.
   * Returns, for every request, duplicates included, whether a pending
   * account deletion includes it.
   */
  async markFinishedOnce(consumer: string, events: RequestFinishedEvent[]): Promise<Array<{ requestId: string; accountDeletionWaiting: boolean }>> {
    assertOneEventPerRequest(events);
    const rows = await runOnceForEvents<{ request_id: string; account_deletion_waiting: boolean }>(
      this.manager,
      'intake',
      consumer,
      events.map((event) => event.eventId),
      `, event AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS event (event_id uuid, request_id uuid, outcome text, completed_at timestamptz, receipt jsonb)),
       ${LOCK_REQUESTS_IN_ORDER},
       finished AS (
         UPDATE intake.deletion_requests r
            SET status = event.outcome, completed_at = event.completed_at, receipt = event.receipt, updated_at = now()
           FROM event
          WHERE r.id IN (SELECT id FROM locked) AND r.id = event.request_id AND r.status IN ('due', 'purging')
            AND event.event_id IN (SELECT event_id FROM inbox_claim)
          RETURNING r.id, event.outcome, event.receipt),
       audit AS (
         INSERT INTO intake.audit_events (request_id, actor, action, details)
         SELECT id, 'system:purge-executor', outcome, jsonb_build_object('receipt', receipt) FROM finished)
       SELECT event.request_id,
              EXISTS (SELECT 1 FROM intake.account_deletions d WHERE d.status = 'pending' AND event.request_id = ANY(d.request_ids)) AS account_deletion_waiting
         FROM event`,
      [
        JSON.stringify(
          events.map((event) => ({
            event_id: event.eventId,
            request_id: event.requestId,
            outcome: event.outcome,
            completed_at: event.completedAt,
            receipt: event.receipt,
          })),
        ),
        events.map((event) => event.requestId),
      ],
    );
    return rows.map((row) => ({ requestId: row.request_id, accountDeletionWaiting: row.account_deletion_waiting }));
  }

  /** Moves a failed request back to `purging` and its failed areas back to `pending`, for a retry. */
  async reopenFailed(id: string): Promise<void> {
    await this.manager.query(
      `UPDATE intake.deletion_requests SET status = 'purging', completed_at = NULL, receipt = NULL, updated_at = now()
        WHERE id = $1 AND status = 'failed'`,
      [id],
    );
    await this.manager.query(
      `UPDATE intake.request_areas SET status = 'pending', error = NULL, next_attempt_at = NULL, attempts = 0, updated_at = now()
        WHERE request_id = $1 AND status = 'failed'`,
      [id],
    );
  }

  /**
   * Records that the purge of each request started, once per event: the
   * request moves from `due` to `purging`, every area gets its first state
   * (unless an area's own event came first), and the audit trail gets
   * `purge-started`. One statement with the inbox rows.
   */
  async markPurgeStartedOnce(consumer: string, events: PurgeStartedEvent[]): Promise<void> {
    assertOneEventPerRequest(events);
    await runOnceForEvents(
      this.manager,
      'intake',
      consumer,
      events.map((event) => event.eventId),
      `, event AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS event (event_id uuid, request_id uuid, areas jsonb)
          WHERE event_id IN (SELECT event_id FROM inbox_claim)),
       ${LOCK_REQUESTS_IN_ORDER},
       purging AS (
         UPDATE intake.deletion_requests r SET status = 'purging', purging_at = now(), updated_at = now()
           FROM event WHERE r.id IN (SELECT id FROM locked) AND r.id = event.request_id AND r.status = 'due'),
       areas AS (
         INSERT INTO intake.request_areas (request_id, area, status)
         SELECT event.request_id, area.area, area.status FROM event, jsonb_to_recordset(event.areas) AS area (area text, status text)
          ORDER BY event.request_id, area.area
         ON CONFLICT (request_id, area) DO UPDATE SET status = EXCLUDED.status, error = NULL, next_attempt_at = NULL, updated_at = now()
          WHERE intake.request_areas.status NOT IN ('succeeded', 'skipped', 'failed'))
       INSERT INTO intake.audit_events (request_id, actor, action, details)
       SELECT event.request_id, 'system:purge-executor', 'purge-started', jsonb_build_object('areas', jsonb_path_query_array(event.areas, '$[*].area'))
         FROM event`,
      [
        JSON.stringify(events.map((event) => ({ event_id: event.eventId, request_id: event.requestId, areas: event.areas }))),
        events.map((event) => event.requestId),
      ],
    );
  }

  /**
   * Applies area events to their areas' state, each only when `consumer`
   * has not handled it yet, and records them in the inbox by the same
   * statement. One round trip and no explicit transaction.
   */
  async upsertAreasOnce(consumer: string, events: AreaEvent[]): Promise<void> {
    assertOneEventPerRequest(events);
    await runOnceForEvents(
      this.manager,
      'intake',
      consumer,
      events.map((event) => event.eventId),
      UPSERT_AREAS_ONCE_SQL,
      [
        JSON.stringify(
          events.map((event) => ({
            event_id: event.eventId,
            request_id: event.requestId,
            area: event.area,
            status: event.status,
            counts: event.counts ?? null,
            attempts: event.attempts ?? null,
            error: event.error ?? null,
            next_attempt_at: event.nextAttemptAt ?? null,
          })),
        ),
        events.map((event) => event.requestId),
      ],
    );
  }

  async listAreas(requestId: string): Promise<AreaProgressView[]> {
    const rows: AreaRow[] = await this.manager.query(
      `SELECT area, status, counts, attempts, error, next_attempt_at FROM intake.request_areas WHERE request_id = $1 ORDER BY area`,
      [requestId],
    );
    return rows.map((row) => ({
      area: row.area,
      status: row.status,
      counts: row.counts,
      attempts: row.attempts,
      error: row.error,
      nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    }));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.manager.query(
      `INSERT INTO intake.audit_events (request_id, actor, action, reason, ticket, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.requestId, entry.actor, entry.action, entry.reason ?? null, entry.ticket ?? null, JSON.stringify(entry.details ?? {})],
    );
  }

  /** Lists requests newest first, one page at a time, by keyset on (created_at, id). */
  async list(filter: RequestListFilter): Promise<DeletionRequestRow[]> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      parameters.push(value);
      conditions.push(sql.replace('?', `$${parameters.length}`));
    };
    if (filter.visibleTo) {
      parameters.push(filter.visibleTo);
      const account = `$${parameters.length}::uuid`;
      conditions.push(
        `(r.requested_by = ${account} OR r.workspace_id IN (
           SELECT m.workspace_id FROM intake.memberships m WHERE m.account_id = ${account} AND m.role = 'admin'))`,
      );
    }
    if (filter.workspaceId) {
      add('r.workspace_id = ?', filter.workspaceId);
    }
    if (filter.status) {
      add('r.status = ?', filter.status);
    }
    if (filter.kind) {
      add('r.kind = ?', filter.kind);
    }
    if (filter.after) {
      parameters.push(filter.after.createdAt, filter.after.id);
      conditions.push(`(r.created_at, r.id) < ($${parameters.length - 1}::timestamptz, $${parameters.length}::uuid)`);
    }
    parameters.push(filter.limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.manager.query(
      `${SELECT_REQUEST} ${where} ORDER BY r.created_at DESC, r.id DESC LIMIT $${parameters.length}`,
      parameters,
    );
  }

  async listAudit(requestId: string): Promise<AuditEventRow[]> {
    return this.manager.query(
      'SELECT id, occurred_at, actor, action, reason, ticket, details FROM intake.audit_events WHERE request_id = $1 ORDER BY id',
      [requestId],
    );
  }

  async toView(row: DeletionRequestRow, now: Date): Promise<DeletionRequestView> {
    return buildRequestView(row, await this.listAreas(row.id), now);
  }

}

/** Builds the API view of a request from its row and its areas' progress. */
export function buildRequestView(row: DeletionRequestRow, areas: AreaProgressView[], now: Date): DeletionRequestView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    workspaceId: row.workspace_id,
    workspace: row.workspace_slug,
    requestedBy: row.requested_by,
    reason: row.reason,
    ticket: row.ticket,
    createdAt: row.created_at.toISOString(),
    graceEndsAt: row.grace_ends_at?.toISOString() ?? null,
    deadline: row.deadline.toISOString(),
    cancellable: isCancellable(row.status, row.grace_ends_at, now),
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
    cancelledBy: row.cancelled_by,
    completedAt: row.completed_at?.toISOString() ?? null,
    areas,
    receipt: row.status === 'completed' || row.status === 'failed' ? row.receipt : null,
  };
}
