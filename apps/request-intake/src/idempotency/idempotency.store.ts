import { createHash } from 'node:crypto';
import { WriteStatement, queryPrepared } from '@deletion/persistence';
import { EntityManager } from 'typeorm';
import { problems } from '../problem/problem.exception';

export interface IdempotentResult<T> {
  value: T;
  /** True when this is the stored response of an earlier request with the same key. */
  replayed: boolean;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Validates an `Idempotency-Key` header value; undefined means the caller sent none. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (!KEY_PATTERN.test(header)) {
    throw problems.validation([
      { field: 'Idempotency-Key', detail: 'the header must be 1-255 visible ASCII characters without spaces, such as a UUID' },
    ]);
  }
  return header;
}

/** Hashes a request body in a canonical form, so the same JSON with its keys in another order counts as the same body. */
export function hashRequestBody(operation: string, body: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => left.localeCompare(right));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Stores the first successful response of each (account, Idempotency-Key)
 * in the transaction that produced it. A retry with the same key and body
 * returns that response; the same key with another body or on another
 * operation is a conflict. Failed requests store nothing, because they changed nothing.
 */
export class IdempotencyStore {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Returns the stored response for the key, if any. With `lock`, the key's
   * row stays locked until the caller's transaction ends. Without it, the
   * unique key still lets only one of two concurrent requests save the key.
   */
  async findReplay<T>(accountId: string, key: string, operation: string, requestHash: string, options: { lock: boolean } = { lock: true }): Promise<T | undefined> {
    const { rows } = await queryPrepared<{ operation: string; request_hash: string; response_body: T }>(
      this.manager,
      `SELECT operation, request_hash, response_body FROM intake.idempotency_keys
        WHERE account_id = $1 AND idempotency_key = $2${options.lock ? ' FOR UPDATE' : ''}`,
      [accountId, key],
    );
    const [row] = rows;
    if (!row) {
      return undefined;
    }
    if (row.operation !== operation || row.request_hash !== requestHash) {
      throw problems.conflict(
        'idempotency-key-reused',
        `Idempotency-Key "${key}" was already used for a different request; send a new key for a new request, or repeat the first request exactly`,
      );
    }
    return row.response_body;
  }

  async save(accountId: string, key: string, operation: string, requestHash: string, status: number, body: unknown): Promise<void> {
    const statement = saveIdempotencyKeyStatement(accountId, key, operation, requestHash, status, body);
    await this.manager.query(statement.sql, statement.parameters);
  }
}

/** Builds the INSERT that stores a response under its key, for a caller that writes it in one statement with its state change. */
export function saveIdempotencyKeyStatement(accountId: string, key: string, operation: string, requestHash: string, status: number, body: unknown): WriteStatement {
  return {
    sql: `INSERT INTO intake.idempotency_keys (account_id, idempotency_key, operation, request_hash, response_status, response_body)
          VALUES ($1, $2, $3, $4, $5, $6)`,
    parameters: [accountId, key, operation, requestHash, status, JSON.stringify(body)],
  };
}
