import { EntityManager } from 'typeorm';
import { assertSchemaName } from '../data-source.factory';

/**
 * Records that `consumer` handled event `eventId`, inside the handler's
 * transaction. Returns false when it was handled before, so the caller skips
 * a redelivered message; the record commits or rolls back with the handler's work.
 */
export async function claimInboxEvent(
  manager: EntityManager,
  schemaName: string,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  const schema = assertSchemaName(schemaName);
  const inserted: unknown[] = await manager.query(
    `INSERT INTO ${schema}.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, eventId],
  );
  return inserted.length === 1;
}
