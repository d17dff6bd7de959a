import { problems } from '../problem/problem.exception';

/** Encodes the position after a request in the newest-first list as an opaque cursor. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const instant = new Date(createdAt);
    if (Number.isNaN(instant.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
      throw new Error('malformed');
    }
    return { createdAt: instant, id };
  } catch {
    throw problems.validation([{ field: 'cursor', detail: `"${cursor}" is not a cursor from this API; pass the nextCursor of the previous page unchanged` }]);
  }
}
