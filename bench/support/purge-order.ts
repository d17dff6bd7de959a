import { purgeDueV1 } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';

/** Publishes a workspace purge order straight to `purge.due`, as request-intake would after the grace period. */
export async function publishWorkspacePurgeOrder(publisher: EventPublisher, workspaceId: string, requestId: string): Promise<void> {
  await publisher.publish(
    purgeDueV1,
    { requestId, kind: 'purge', workspaceId, scope: { type: 'workspace' }, deadline: new Date(Date.now() + 86_400_000).toISOString() },
    { key: workspaceId, requestId, workspaceId },
  );
}
