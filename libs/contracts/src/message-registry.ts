import { MessageContract } from './message-contract';
import * as deletion from './messages/deletion.messages';
import * as platform from './messages/platform.messages';
import * as purge from './messages/purge.messages';

function isContract(value: unknown): value is MessageContract {
  return typeof value === 'object' && value !== null && 'schema' in value && 'topic' in value && 'version' in value;
}

/** Every message contract, looked up by `type@version` when a consumer validates an envelope. */
export const MESSAGE_CONTRACTS: readonly MessageContract[] = [deletion, purge, platform].flatMap((module) =>
  Object.values(module).filter(isContract),
);

const byTypeAndVersion = new Map(MESSAGE_CONTRACTS.map((contract) => [`${contract.type}@${contract.version}`, contract]));

export function findContract(type: string, version: number): MessageContract | undefined {
  return byTypeAndVersion.get(`${type}@${version}`);
}
