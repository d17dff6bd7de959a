import { PreparedQueryTarget, queryPrepared } from './prepared-query';

/**
 * One data-modifying statement (INSERT, UPDATE or DELETE without a WITH
 * clause of its own) with its parameters, numbered from $1.
 */
export interface WriteStatement {
  sql: string;
  parameters: unknown[];
}

const PLACEHOLDER = /\$(\d+)/g;

/** Renumbers a statement's `$n` placeholders by `offset`, so it can follow `offset` parameters of an enclosing statement. */
export function shiftPlaceholders(sql: string, offset: number): string {
  return sql.replace(PLACEHOLDER, (_, number: string) => `$${Number(number) + offset}`);
}

/**
 * Runs data-modifying statements as one statement, each as a CTE: one round
 * trip, atomic without an explicit transaction.
 * All of them see the database as it was before the statement, so none may
 * read rows another one writes. A foreign key between their rows still
 * holds, because PostgreSQL checks it at the end of the statement.
 * Parameters are renumbered, so `$n` may appear only as a placeholder.
 * The statement is prepared (`queryPrepared`), so the texts must be fixed.
 */
export async function runWritesAsOneStatement(manager: PreparedQueryTarget, writes: WriteStatement[]): Promise<void> {
  if (writes.length === 0) {
    return;
  }
  if (writes.length === 1) {
    await queryPrepared(manager, writes[0].sql, writes[0].parameters);
    return;
  }
  const parameters: unknown[] = [];
  const parts = writes.map((write, index) => {
    if (/^\s*WITH\b/i.test(write.sql)) {
      throw new Error(`write ${index + 1} of ${writes.length} has its own WITH clause, and PostgreSQL rejects a nested WITH whose CTEs write; pass each of its CTEs as a separate write: ${write.sql.slice(0, 60)}`);
    }
    const offset = parameters.length;
    parameters.push(...write.parameters);
    return `write_${index + 1} AS (${shiftPlaceholders(write.sql, offset)})`;
  });
  await queryPrepared(manager, `WITH ${parts.join(',\n')}\nSELECT 1`, parameters);
}
