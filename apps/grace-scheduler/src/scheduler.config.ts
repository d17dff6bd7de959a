import { databaseVariables, durationVariable, integerVariable, kafkaVariables, loadConfig } from '@deletion/config';
import { z } from 'zod';

export const schedulerConfigSchema = z.object({
  ...databaseVariables,
  ...kafkaVariables,
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: integerVariable(3001),
  /** How often the scheduler looks for grace periods that have ended; a timer fires at most this late. */
  SCHEDULER_POLL_INTERVAL: durationVariable('1s'),
  SCHEDULER_BATCH_SIZE: integerVariable(500, 1),
});

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

export function loadSchedulerConfig(env: Record<string, string | undefined> = process.env): SchedulerConfig {
  return loadConfig(schedulerConfigSchema, env);
}
