import { assertSchemaName } from './data-source.factory';

/**
 * DDL of the outbox and inbox tables that every service keeps in its own
 * schema. The outbox contains events committed with a state change until the
 * relay publishes them. The inbox records consumed event ids, so a
 * redelivered message is handled once.
 */
export function messagingTablesUpSql(schemaName: string): string[] {
  const schema = assertSchemaName(schemaName);
  return [
    `CREATE TABLE ${schema}.outbox (
       id bigserial PRIMARY KEY,
       topic text NOT NULL,
       message_key text NOT NULL,
       headers jsonb NOT NULL DEFAULT '{}',
       payload jsonb NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE ${schema}.inbox (
       consumer text NOT NULL,
       event_id uuid NOT NULL,
       processed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, event_id)
     )`,
  ];
}

export function messagingTablesDownSql(schemaName: string): string[] {
  const schema = assertSchemaName(schemaName);
  return [`DROP TABLE ${schema}.inbox`, `DROP TABLE ${schema}.outbox`];
}
