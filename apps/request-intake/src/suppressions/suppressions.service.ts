import { Regulation, suppressionChangedV1 } from '@deletion/contracts';
import { OutboxWriter, assertDeleteCriteria, queryRows } from '@deletion/persistence';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Caller } from '../auth/caller';
import { DeletionRequestRepository } from '../deletion-requests/deletion-request.repository';
import { requireWorkspaceAdmin, resolveWorkspace } from '../deletion-requests/kinds/plan-workspace-purge';
import { problems } from '../problem/problem.exception';
import { INTAKE_DATA_SOURCE, INTAKE_OUTBOX } from '../runtime.tokens';

export interface SuppressionChange {
  requestId: string;
  workspaceId: string;
  actor: string;
  regulation: Regulation;
  subjectType: 'userId' | 'anonymousId';
  subjects: string[];
}

export interface SuppressionView {
  subjectType: 'userId' | 'anonymousId';
  subject: string;
  requestId: string;
  suppressedBy: string;
  createdAt: string;
}

/**
 * Keeps each workspace's suppression list: the end users whose later events
 * ingestion must drop. Every change is published as `suppression.changed`
 * in the transaction that makes it, so the ingestion path never misses one.
 */
@Injectable()
export class SuppressionsService {
  constructor(
    @Inject(INTAKE_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(INTAKE_OUTBOX) private readonly outbox: OutboxWriter,
  ) {}

  async apply(manager: EntityManager, change: SuppressionChange): Promise<void> {
    const suppress = change.regulation !== 'unsuppress';
    let changed: Array<{ subject: string }>;
    if (suppress) {
      changed = await manager.query(
        `INSERT INTO intake.suppressions (workspace_id, subject_type, subject, request_id, suppressed_by)
         SELECT $1, $2, subject, $3, $4 FROM unnest($5::text[]) AS subject
         ON CONFLICT DO NOTHING RETURNING subject`,
        [change.workspaceId, change.subjectType, change.requestId, change.actor, change.subjects],
      );
    } else {
      const criteria = { workspaceId: change.workspaceId, subjectType: change.subjectType, subjects: change.subjects };
      assertDeleteCriteria(criteria, 'unsuppress');
      changed = await queryRows(
        manager,
        `DELETE FROM intake.suppressions WHERE workspace_id = $1 AND subject_type = $2 AND subject = ANY($3::text[]) RETURNING subject`,
        [criteria.workspaceId, criteria.subjectType, criteria.subjects],
      );
    }

    await new DeletionRequestRepository(manager).appendAudit({
      requestId: change.requestId,
      actor: change.actor,
      action: suppress ? 'suppressed' : 'unsuppressed',
      details: { subjectType: change.subjectType, requested: change.subjects.length, changed: changed.length },
    });
    if (changed.length === 0) {
      return;
    }
    await this.outbox.add(manager, suppressionChangedV1, {
      key: change.workspaceId,
      requestId: change.requestId,
      workspaceId: change.workspaceId,
      payload: {
        workspaceId: change.workspaceId,
        requestId: change.requestId,
        change: suppress ? 'suppressed' : 'unsuppressed',
        subjectType: change.subjectType,
        subjects: changed.map((row) => row.subject),
        changedAt: new Date().toISOString(),
      },
    });
  }

  /** Lists a workspace's suppressed subjects in subject order, one page after `after`. */
  async list(caller: Caller, workspaceReference: string, options: { limit: number; after?: string }): Promise<{ items: SuppressionView[]; nextCursor: string | null }> {
    return this.dataSource.transaction(async (manager) => {
      const workspace = await resolveWorkspace(manager, workspaceReference, caller);
      requireWorkspaceAdmin(caller, workspace, true);
      const rows: Array<{ subject_type: 'userId' | 'anonymousId'; subject: string; request_id: string; suppressed_by: string; created_at: Date }> =
        await manager.query(
          `SELECT subject_type, subject, request_id, suppressed_by, created_at FROM intake.suppressions
            WHERE workspace_id = $1 AND ($2::text IS NULL OR subject_type || ':' || subject > $2)
            ORDER BY subject_type || ':' || subject LIMIT $3`,
          [workspace.id, options.after ?? null, options.limit + 1],
        );
      const page = rows.slice(0, options.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((row) => ({
          subjectType: row.subject_type,
          subject: row.subject,
          requestId: row.request_id,
          suppressedBy: row.suppressed_by,
          createdAt: row.created_at.toISOString(),
        })),
        nextCursor: rows.length > options.limit && last ? `${last.subject_type}:${last.subject}` : null,
      };
    });
  }
}

export function parseSuppressionLimit(text: string | undefined): number {
  const limit = text === undefined ? 100 : Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
    throw problems.validation([{ field: 'limit', detail: `"${text}" is not a valid limit; give a whole number from 1 to 1000` }]);
  }
  return limit;
}
