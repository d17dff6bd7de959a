import { EventEnvelope, HEADERS, MessageContract, PayloadOf, createEnvelope, topicName } from '@deletion/contracts';
import { EntityManager } from 'typeorm';
import { assertSchemaName } from '../data-source.factory';
import { WriteStatement } from '../statements/one-statement';
import { queryPrepared } from '../statements/prepared-query';

export interface OutboxEventInput<TContract extends MessageContract> {
  payload: PayloadOf<TContract>;
  /** Partition key; the workspace id for every workspace-scoped event so one tenant's events stay ordered. */
  key: string;
  requestId?: string;
  workspaceId?: string;
}

/** An event of any contract, for `addAll`. */
export interface OutboxEvent<TContract extends MessageContract = MessageContract> extends OutboxEventInput<TContract> {
  contract: TContract;
}

/**
 * Adds events to a service's outbox inside the caller's transaction, so the
 * event exists exactly when the state change that caused it is committed.
 */
export class OutboxWriter {
  private readonly schema: string;

  constructor(
    schema: string,
    private readonly topicPrefix: string,
  ) {
    this.schema = assertSchemaName(schema);
  }

  async add<TContract extends MessageContract>(
    manager: EntityManager,
    contract: TContract,
    input: OutboxEventInput<TContract>,
  ): Promise<EventEnvelope<PayloadOf<TContract>>> {
    const payload = contract.schema.parse(input.payload) as PayloadOf<TContract>;
    const envelope = createEnvelope({
      type: contract.type,
      schemaVersion: contract.version,
      payload,
      requestId: input.requestId,
      workspaceId: input.workspaceId,
    });
    const headers = { [HEADERS.eventType]: contract.type, [HEADERS.schemaVersion]: String(contract.version) };

    await queryPrepared(
      manager,
      `INSERT INTO ${this.schema}.outbox (topic, message_key, headers, payload) VALUES ($1, $2, $3, $4)`,
      [topicName(this.topicPrefix, contract.topic), input.key, JSON.stringify(headers), JSON.stringify(envelope)],
    );
    return envelope;
  }

  /** Adds many events of one contract with a single INSERT, in the order given. */
  async addMany<TContract extends MessageContract>(manager: EntityManager, contract: TContract, inputs: Array<OutboxEventInput<TContract>>): Promise<void> {
    await this.addAll(
      manager,
      inputs.map((input) => ({ ...input, contract })),
    );
  }

  /**
   * Adds events of any contracts with a single INSERT, in the order given,
   * and returns their envelopes: one round trip for everything a state
   * change publishes.
   */
  async addAll(manager: EntityManager, events: OutboxEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) {
      return [];
    }
    const { statement, envelopes } = this.insertStatement(events);
    await queryPrepared(manager, statement.sql, statement.parameters);
    return envelopes;
  }

  /**
   * Builds the INSERT of `addAll` without running it, for a caller that
   * writes it in one statement with its state change (`runWritesAsOneStatement`).
   * `onlyIf` is an SQL condition, such as `EXISTS (SELECT 1 FROM purge)`
   * over an earlier CTE, that must hold for the events to be written. It
   * may also decide per event: `event.payload` is the event's envelope
   * (jsonb), as in `(event.payload ->> 'requestId')::uuid IN (SELECT ...)`.
   */
  insertStatement(events: OutboxEvent[], options: { onlyIf?: string } = {}): { statement: WriteStatement; envelopes: EventEnvelope[] } {
    const envelopes = events.map((event) =>
      createEnvelope({
        type: event.contract.type,
        schemaVersion: event.contract.version,
        payload: event.contract.schema.parse(event.payload),
        requestId: event.requestId,
        workspaceId: event.workspaceId,
      }),
    );
    const statement = {
      sql: `INSERT INTO ${this.schema}.outbox (topic, message_key, headers, payload)
            SELECT topic, message_key, headers, payload
              FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[]) WITH ORDINALITY AS event (topic, message_key, headers, payload, position)
             ${options.onlyIf ? `WHERE ${options.onlyIf}` : ''}
             ORDER BY position`,
      parameters: [
        events.map((event) => topicName(this.topicPrefix, event.contract.topic)),
        events.map((event) => event.key),
        events.map((event) => JSON.stringify({ [HEADERS.eventType]: event.contract.type, [HEADERS.schemaVersion]: String(event.contract.version) })),
        envelopes.map((envelope) => JSON.stringify(envelope)),
      ],
    };
    return { statement, envelopes };
  }
}
