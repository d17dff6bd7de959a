import { AreaStatus, DeletionKind, RequestStatus } from '@deletion/contracts';

export interface AreaProgressView {
  area: string;
  status: AreaStatus;
  counts: Record<string, number>;
  attempts: number;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  nextAttemptAt: string | null;
}

/** A deletion request as the API returns it. */
export interface DeletionRequestView {
  id: string;
  kind: DeletionKind;
  status: RequestStatus;
  workspaceId: string;
  workspace: string | null;
  requestedBy: string;
  reason: string | null;
  ticket: string | null;
  createdAt: string;
  graceEndsAt: string | null;
  deadline: string;
  cancellable: boolean;
  cancelledAt: string | null;
  cancelledBy: string | null;
  completedAt: string | null;
  areas: AreaProgressView[];
  receipt: Array<{ area: string; status: string; counts: Record<string, number>; error: string | null }> | null;
}

export interface AuditEventView {
  occurredAt: string;
  /** The account id of the person who acted, or `system:<service>` for the platform. */
  actor: string;
  action: string;
  reason: string | null;
  ticket: string | null;
  details: Record<string, unknown>;
}

export interface DeletionRequestPage {
  items: DeletionRequestView[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
