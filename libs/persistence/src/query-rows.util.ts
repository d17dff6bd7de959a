import { EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM's PostgreSQL driver returns
 * `[rows, rowCount]` for UPDATE and DELETE but plain rows for every other
 * command. This hides the difference, so `UPDATE ... RETURNING` reads like a SELECT.
 */
export async function queryRows<T>(manager: Pick<EntityManager, 'query'>, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result: unknown = await manager.query(sql, parameters);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/** Runs an UPDATE or DELETE and returns how many rows it changed, without sending the rows back. */
export async function queryAffectedCount(manager: Pick<EntityManager, 'query'>, sql: string, parameters: unknown[] = []): Promise<number> {
  const result: unknown = await manager.query(sql, parameters);
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number') {
    return result[1];
  }
  throw new Error(`expected an UPDATE or DELETE, which returns a row count: ${sql.slice(0, 60)}`);
}
