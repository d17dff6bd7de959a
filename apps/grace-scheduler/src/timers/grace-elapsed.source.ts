import { HEADERS, graceElapsedV1, topicName } from '@deletion/contracts';
import { OutboxSource } from '@deletion/persistence';

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Returns the relay source of the fired timers whose grace.elapsed event is
 * not sent yet. Firing only flips a timer's state, the cheapest write there
 * is. The relay then marks a batch published and sends it, in a transaction
 * that commits once Kafka has acknowledged the batch. The envelope is built
 * in SQL from the row, with the event id the timer got when it was armed, so
 * a batch sent again after a crash carries the same ids. Its shape is the
 * grace.elapsed contract, which the scheduler's integration spec checks.
 */
export function graceElapsedSource(topicPrefix: string): OutboxSource {
  return {
    name: 'grace_timers',
    claimSql: `
      UPDATE scheduler.grace_timers SET published_at = clock_timestamp()
       WHERE request_id IN (
             SELECT request_id FROM scheduler.grace_timers
              WHERE state = 'fired' AND published_at IS NULL
              ORDER BY fired_at
              LIMIT $1
              FOR UPDATE SKIP LOCKED)
      RETURNING (extract(epoch FROM fired_at) * 1000000)::bigint AS id,
                $2::text AS topic,
                workspace_id::text AS message_key,
                $3::jsonb AS headers,
                json_build_object(
                  'eventId', event_id,
                  'type', $4::text,
                  'schemaVersion', $5::int,
                  'occurredAt', to_char(fired_at AT TIME ZONE 'UTC', ${ISO_UTC}),
                  'requestId', request_id,
                  'workspaceId', workspace_id,
                  'payload', json_build_object(
                    'requestId', request_id,
                    'workspaceId', workspace_id,
                    'graceEndsAt', to_char(grace_ends_at AT TIME ZONE 'UTC', ${ISO_UTC}),
                    'firedAt', to_char(fired_at AT TIME ZONE 'UTC', ${ISO_UTC})))::text AS payload`,
    parameters: [
      topicName(topicPrefix, graceElapsedV1.topic),
      JSON.stringify({ [HEADERS.eventType]: graceElapsedV1.type, [HEADERS.schemaVersion]: String(graceElapsedV1.version) }),
      graceElapsedV1.type,
      graceElapsedV1.version,
    ],
  };
}
