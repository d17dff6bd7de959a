import { databaseVariables, durationVariable, integerVariable, kafkaVariables, loadConfig } from '@deletion/config';
import { z } from 'zod';

export const intakeConfigSchema = z.object({
  ...databaseVariables,
  ...kafkaVariables,
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: integerVariable(3000),
  AUTH_JWT_SECRET: z.string().min(16, 'AUTH_JWT_SECRET must be at least 16 characters'),
  GRACE_PERIOD: durationVariable('5d'),
  PURGE_DEADLINE: durationVariable('30d'),
  /** Wrong passwords an account may enter within PASSWORD_FAILURE_WINDOW before account deletion returns 429. */
  PASSWORD_MAX_FAILURES: integerVariable(5, 1),
  PASSWORD_FAILURE_WINDOW: durationVariable('15m'),
  /** How long before its deadline an open request raises an alert. */
  DEADLINE_ALERT_BEFORE: durationVariable('3d'),
  DEADLINE_CHECK_INTERVAL: durationVariable('1m'),
  /** How long an end-user deletion request may reuse another's read of its workspace and caller; 0s reads every time. */
  DIRECTORY_CACHE_TTL: durationVariable('1s'),
});

export type IntakeConfig = z.infer<typeof intakeConfigSchema>;

export function loadIntakeConfig(env: Record<string, string | undefined> = process.env): IntakeConfig {
  const config = loadConfig(intakeConfigSchema, env);
  if (config.PURGE_DEADLINE <= config.GRACE_PERIOD) {
    throw new Error('PURGE_DEADLINE must be longer than GRACE_PERIOD: the purge runs after the grace period and must finish before the deadline');
  }
  return config;
}

export const INTAKE_CONFIG = Symbol('INTAKE_CONFIG');
