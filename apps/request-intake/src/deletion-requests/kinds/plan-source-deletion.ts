import { utcDayWindow } from '@deletion/archive-layout';
import { EntityManager } from 'typeorm';
import { Caller } from '../../auth/caller';
import { DirectoryRepository } from '../../directory/directory.repository';
import { problems } from '../../problem/problem.exception';
import { RequestPlan } from './request-plan';
import { requireOperator, resolveWorkspace } from './plan-workspace-purge';

/** Maximum range of one source deletion, about ten years; a longer one is almost surely a typo. */
const MAX_DAYS = 3_660;

/** Plans an operator's deletion of a source's archive for whole UTC days; only the archive area takes part. */
export async function planSourceDeletion(
  manager: EntityManager,
  caller: Caller,
  body: { workspace: string; source: string; from: string; to: string; ticket: string; reason?: string },
): Promise<RequestPlan> {
  requireOperator(caller, "delete a source's data");
  const workspace = await resolveWorkspace(manager, body.workspace, caller);
  const source = await new DirectoryRepository(manager).findSource(workspace.id, body.source);
  if (!source) {
    throw problems.notFound(
      'source-not-found',
      `workspace "${workspace.slug}" has no source "${body.source}"; give the slug or id of one of its own sources`,
      'source',
    );
  }
  const window = utcDayWindow(body.from, body.to);
  const days = (window.end.getTime() - window.start.getTime()) / 86_400_000;
  if (days > MAX_DAYS) {
    throw problems.validation([{ field: 'to', detail: `the range covers ${days} days; at most ${MAX_DAYS} days fit one request` }]);
  }
  return {
    kind: 'source',
    workspace,
    scope: { type: 'source', sourceId: source.id, from: body.from, to: body.to },
    ticket: body.ticket,
    reason: body.reason ?? null,
    purges: true,
    admins: workspace.admins,
    auditDetails: {
      source: source.slug,
      from: body.from,
      to: body.to,
      windowStart: window.start.toISOString(),
      windowEnd: window.end.toISOString(),
    },
  };
}
