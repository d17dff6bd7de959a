import { z } from 'zod';
import { Topic } from './topics';

/**
 * One message type: the topic it travels on, its type name and schema
 * version, and the schema its payload must satisfy. Consumers validate every
 * payload against this before any logic runs.
 */
export interface MessageContract<TSchema extends z.ZodType = z.ZodType> {
  topic: Topic;
  type: string;
  version: number;
  schema: TSchema;
}

export type PayloadOf<TContract extends MessageContract> = z.infer<TContract['schema']>;

export function defineMessage<TSchema extends z.ZodType>(
  topic: Topic,
  type: string,
  version: number,
  schema: TSchema,
): MessageContract<TSchema> {
  return { topic, type, version, schema };
}
