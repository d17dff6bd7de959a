import { EventEnvelope, HEADERS, MessageContract, PayloadOf, createEnvelope, topicName } from '@deletion/contracts';
import { EntityManager } from 'typeorm';
import { assertSchemaName } from '../data-source.factory';

export interface OutboxEventInput<TContract extends MessageContract> {
  payload: PayloadOf<TContract>;
  /** Partition key; the workspace id for every workspace-scoped event so one tenant's events stay ordered. */
  key: string;
  requestId?: string;
  workspaceId?: string;
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

    await manager.query(
      `INSERT INTO ${this.schema}.outbox (topic, message_key, headers, payload) VALUES ($1, $2, $3, $4)`,
      [topicName(this.topicPrefix, contract.topic), input.key, JSON.stringify(headers), JSON.stringify(envelope)],
    );
    return envelope;
  }

  /** Adds many events of one contract with a single INSERT, in the order given. */
  async addMany<TContract extends MessageContract>(manager: EntityManager, contract: TContract, inputs: Array<OutboxEventInput<TContract>>): Promise<void> {
    if (inputs.length === 0) {
      return;
    }
    const topic = topicName(this.topicPrefix, contract.topic);
    const headers = JSON.stringify({ [HEADERS.eventType]: contract.type, [HEADERS.schemaVersion]: String(contract.version) });
    const envelopes = inputs.map((input) =>
      JSON.stringify(
        createEnvelope({
          type: contract.type,
          schemaVersion: contract.version,
          payload: contract.schema.parse(input.payload),
          requestId: input.requestId,
          workspaceId: input.workspaceId,
        }),
      ),
    );
    await manager.query(
      `INSERT INTO ${this.schema}.outbox (topic, message_key, headers, payload)
       SELECT $1, message_key, $2::jsonb, payload FROM unnest($3::text[], $4::jsonb[]) WITH ORDINALITY AS event (message_key, payload, position)
       ORDER BY position`,
      [topic, headers, inputs.map((input) => input.key), envelopes],
    );
  }
}
