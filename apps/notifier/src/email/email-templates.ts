export interface EmailContent {
  subject: string;
  text: string;
}

export interface RequestFacts {
  requestId: string;
  workspaceSlug: string;
  apiUrl: string;
}

export function deletionRequestedEmail(facts: RequestFacts & { graceEndsAt: string | null; deadline: string }): EmailContent {
  const when = facts.graceEndsAt
    ? `The purge starts after the grace period ends at ${facts.graceEndsAt} (UTC). Until then an admin of the workspace can cancel it:\n\n  POST ${facts.apiUrl}/v1/deletion-requests/${facts.requestId}/cancel\n\nIf you did not expect this, cancel it now and contact support.`
    : 'The purge starts now.';
  return {
    subject: `Workspace ${facts.workspaceSlug} is scheduled for deletion`,
    text: [
      `A deletion of workspace "${facts.workspaceSlug}" was requested (request ${facts.requestId}).`,
      '',
      when,
      '',
      `Every product area must have purged the workspace's data by ${facts.deadline} (UTC).`,
      `Follow the request at ${facts.apiUrl}/v1/deletion-requests/${facts.requestId}.`,
    ].join('\n'),
  };
}

export function deletionCancelledEmail(facts: RequestFacts): EmailContent {
  return {
    subject: `Deletion of workspace ${facts.workspaceSlug} was cancelled`,
    text: `The deletion of workspace "${facts.workspaceSlug}" (request ${facts.requestId}) was cancelled during its grace period. Nothing was purged.`,
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
      ? `All data of workspace "${facts.workspaceSlug}" has been purged (request ${facts.requestId}).`
      : `The purge of workspace "${facts.workspaceSlug}" failed in at least one product area (request ${facts.requestId}); operators have been alerted and will retry it.`;
  return {
    subject: facts.outcome === 'completed' ? `Workspace ${facts.workspaceSlug} has been deleted` : `Deletion of workspace ${facts.workspaceSlug} failed`,
    text: [headline, '', 'What each product area removed:', ...lines].join('\n'),
  };
}
