import { gunzipSync, gzipSync } from 'node:zlib';

/** One event in the archive, as ingestion stored it: a JSON object per line. */
export interface ArchivedEvent {
  messageId: string;
  type: string;
  userId?: string;
  anonymousId?: string;
  timestamp: string;
  properties?: Record<string, unknown>;
}

/** Encodes events as gzipped JSON lines, the archive's object format. */
export function encodeArchiveObject(events: ArchivedEvent[]): Buffer {
  return gzipSync(Buffer.from(events.map((event) => JSON.stringify(event)).join('\n') + '\n', 'utf8'));
}

export function decodeArchiveObject(body: Buffer): ArchivedEvent[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ArchivedEvent);
}
