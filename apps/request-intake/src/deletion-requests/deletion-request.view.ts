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
