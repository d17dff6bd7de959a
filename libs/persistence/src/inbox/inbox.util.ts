import { EntityManager } from 'typeorm';
import { assertSchemaName } from '../data-source.factory';
import { queryPrepared } from '../statements/prepared-query';

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

/**
 * Runs one data-modifying statement only for the events that `consumer`
 * has not handled yet, and records the events in the inbox by the same
 * statement: one round trip, atomic without an explicit transaction.
 * `inbox_claim` contains the `event_id` of each new event, and every row
 * the statement writes must depend on its event being there (for a single
 * event, `EXISTS (SELECT 1 FROM inbox_claim)` is enough). The statement
 * may begin with further CTEs, written as `, name AS (...)`. Its own
 * parameters keep their numbers, and the consumer and the event ids follow
 * them. Returns the rows of the statement's RETURNING clause, if it has
 * one. The statement is prepared (`queryPrepared`), so its text must be
 * fixed.
 */
export async function runOnceForEvents<T = unknown>(
  manager: EntityManager,
  schemaName: string,
  consumer: string,
  eventIds: string[],
  statement: string,
  parameters: unknown[],
): Promise<T[]> {
  const schema = assertSchemaName(schemaName);
  const consumerParameter = parameters.length + 1;
  const { rows } = await queryPrepared<T>(
    manager,
    `WITH inbox_claim AS (
       INSERT INTO ${schema}.inbox (consumer, event_id) SELECT $${consumerParameter}, unnest($${consumerParameter + 1}::uuid[])
       ON CONFLICT DO NOTHING RETURNING event_id)
     ${statement}`,
    [...parameters, consumer, eventIds],
  );
  return rows;
}
