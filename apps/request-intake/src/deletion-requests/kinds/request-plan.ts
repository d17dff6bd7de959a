import { DeletionKind, PurgeScope, Regulation } from '@deletion/contracts';
import { AccountRecord, WorkspaceRecord } from '../../directory/directory.repository';

/** A validated, authorized request of one kind, ready to be stored: what to delete where, and on whose authority. */
export interface RequestPlan {
  kind: DeletionKind;
  workspace: WorkspaceRecord;
  scope: PurgeScope;
  ticket: string | null;
  reason: string | null;
  /** False when the request changes only the suppression list and no product area purges anything. */
  purges: boolean;
  /** For end-user requests: what the request does to the subjects. */
  regulation?: Regulation;
  /** Suppression list change that the request makes, committed with it. */
  suppression?: { regulation: Regulation; subjectType: 'userId' | 'anonymousId'; subjects: string[] };
  auditDetails: Record<string, unknown>;
  /** The workspace's admins, when planning already read them; otherwise they are read when the request is stored. */
  admins?: AccountRecord[];
}
