import { z } from 'zod';
import { parseDuration } from './duration.util';

/** Builds a zod type for a duration variable such as `5d`, parsed into milliseconds. */
export function durationVariable(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, context) => {
      try {
        return parseDuration(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });
}

export function integerVariable(defaultValue: number, minimum = 0) {
  return z.coerce.number().int().min(minimum).default(defaultValue);
}

export function booleanVariable(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0'])
    .default(defaultValue ? 'true' : 'false')
    .transform((text) => text === 'true' || text === '1');
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Validates environment variables into a typed object once at start-up.
 * Every invalid variable is named in one error, so an operator fixes them all in one go.
 */
export function loadConfig<TSchema extends z.ZodType>(
  schema: TSchema,
  env: Record<string, string | undefined> = process.env,
): z.infer<TSchema> {
  const withoutEmpty = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(withoutEmpty);
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(problems);
}
