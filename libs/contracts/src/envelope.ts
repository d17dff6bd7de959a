import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Header names that every message carries beside its JSON envelope. */
export const HEADERS = {
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  deadLetterReason: 'dead-letter-reason',
  deadLetterSource: 'dead-letter-source',
} as const;

export const envelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  requestId: z.uuid().optional(),
  workspaceId: z.uuid().optional(),
  payload: z.unknown(),
});

export type EventEnvelope<TPayload = unknown> = Omit<z.infer<typeof envelopeSchema>, 'payload'> & {
  payload: TPayload;
};

export interface EnvelopeInput<TPayload> {
  type: string;
  schemaVersion: number;
  payload: TPayload;
  requestId?: string;
  workspaceId?: string;
  occurredAt?: Date;
  eventId?: string;
}

export function createEnvelope<TPayload>(input: EnvelopeInput<TPayload>): EventEnvelope<TPayload> {
  return {
    eventId: input.eventId ?? randomUUID(),
    type: input.type,
    schemaVersion: input.schemaVersion,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    requestId: input.requestId,
    workspaceId: input.workspaceId,
    payload: input.payload,
  };
}
