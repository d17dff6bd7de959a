import { DeletionKind, PurgeScope } from '@deletion/contracts';

export interface EmailContent {
  subject: string;
  text: string;
}

export interface RequestFacts {
  requestId: string;
  workspaceSlug: string;
  apiUrl: string;
  kind: DeletionKind;
  scope: PurgeScope;
}

/** Whether the request deletes the whole workspace, which is what admins must notice within the grace period. */
function isWholeWorkspace(facts: RequestFacts): boolean {
  return facts.kind === 'workspace' || facts.kind === 'purge';
}

/** Describes what a request deletes, for the first sentence of an email. */
function describeDeletion(facts: RequestFacts): string {
  const { scope } = facts;
  switch (scope.type) {
    case 'subjects':
      return `a deletion of the data of ${scope.subjects.length} end user(s) in workspace "${facts.workspaceSlug}"`;
    case 'source':
      return `a deletion of one source's archived events from ${scope.from} to ${scope.to} (UTC days) in workspace "${facts.workspaceSlug}"`;
    case 'workspace':
      return facts.kind === 'legacy_archive_purge'
        ? `a purge of the archive kept for deleted workspace "${facts.workspaceSlug}"`
        : `a deletion of workspace "${facts.workspaceSlug}"`;
  }
}

/** Email for a request that only changes the suppression list: nothing is deleted. */
export function suppressionChangedEmail(facts: RequestFacts & { regulation: 'suppress' | 'unsuppress' }): EmailContent {
  const count = facts.scope.type === 'subjects' ? facts.scope.subjects.length : 0;
  const change = facts.regulation === 'suppress' ? 'suppressed: ingestion drops their later events' : 'unsuppressed: ingestion accepts their events again';
  return {
    subject: `Suppression list changed in workspace ${facts.workspaceSlug}`,
    text: `${count} end user(s) of workspace "${facts.workspaceSlug}" were ${change} (request ${facts.requestId}). No data was deleted.`,
  };
}

export function deletionRequestedEmail(facts: RequestFacts & { graceEndsAt: string | null; deadline: string }): EmailContent {
  const when = facts.graceEndsAt
    ? `The purge starts after the grace period ends at ${facts.graceEndsAt} (UTC). Until then an admin of the workspace can cancel it:\n\n  POST ${facts.apiUrl}/v1/deletion-requests/${facts.requestId}/cancel\n\nIf you did not expect this, cancel it now and contact support.`
    : 'The purge starts now.';
  return {
    subject: isWholeWorkspace(facts)
      ? `Workspace ${facts.workspaceSlug} is scheduled for deletion`
      : `Data deletion requested in workspace ${facts.workspaceSlug}`,
    text: [
      `${capitalize(describeDeletion(facts))} was requested (request ${facts.requestId}).`,
      '',
      when,
      '',
      `Every product area in scope must have purged the data by ${facts.deadline} (UTC).`,
      `Follow the request at ${facts.apiUrl}/v1/deletion-requests/${facts.requestId}.`,
    ].join('\n'),
  };
}

export function deletionCancelledEmail(facts: RequestFacts): EmailContent {
  return {
    subject: `Deletion of workspace ${facts.workspaceSlug} was cancelled`,
    text: `${capitalize(describeDeletion(facts))} (request ${facts.requestId}) was cancelled during its grace period. Nothing was purged.`,
  };
}

export function deletionFinishedEmail(
  facts: RequestFacts & { outcome: 'completed' | 'failed'; receipt: Array<{ area: string; status: string; counts: Record<string, number>; error: string | null }> },
): EmailContent {
  const lines = facts.receipt.map((area) => {
    const counts = Object.entries(area.counts)
      .map(([unit, count]) => `${count} ${unit}`)
      .join(', ');
    return `  - ${area.area}: ${area.status}${counts ? ` (${counts})` : ''}${area.error ? `: ${area.error}` : ''}`;
  });
  const headline =
    facts.outcome === 'completed'
      ? `${capitalize(describeDeletion(facts))} is complete (request ${facts.requestId}).`
      : `${capitalize(describeDeletion(facts))} failed in at least one product area (request ${facts.requestId}). Operators see the failure and can retry it.`;
  const completedSubject = isWholeWorkspace(facts)
    ? `Workspace ${facts.workspaceSlug} has been deleted`
    : `Data deletion in workspace ${facts.workspaceSlug} is complete`;
  return {
    subject: facts.outcome === 'completed' ? completedSubject : `Deletion in workspace ${facts.workspaceSlug} failed`,
    text: [headline, '', 'What each product area removed:', ...lines].join('\n'),
  };
}

export function deadlineAtRiskEmail(facts: { requestId: string; kind: string; status: string; deadline: string; pendingAreas: string[]; apiUrl: string }): EmailContent {
  return {
    subject: `Deletion request ${facts.requestId} is at risk of missing its deadline`,
    text: [
      `Request ${facts.requestId} (${facts.kind}) is still ${facts.status}, and its deadline is ${facts.deadline} (UTC).`,
      facts.pendingAreas.length > 0 ? `Product areas without a final result: ${facts.pendingAreas.join(', ')}.` : '',
      `Inspect it at ${facts.apiUrl}/v1/deletion-requests/${facts.requestId} and retry it if it failed.`,
    ]
      .filter(Boolean)
      .join('\n'),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
