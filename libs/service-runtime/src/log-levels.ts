import { LogLevel } from '@nestjs/common';

/** Nest's levels, from the most severe to the least. `fatal` is always written. */
const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Reads LOG_LEVEL, the least severe level a service writes: error, warn,
 * info (Nest's `log`, the default), debug or verbose.
 */
export function logLevelsFrom(value: string | undefined): LogLevel[] {
  const name = (value ?? '').trim().toLowerCase() || 'log';
  const index = LEVELS.indexOf((name === 'info' ? 'log' : name) as LogLevel);
  if (index < 0) {
    throw new Error(`LOG_LEVEL "${value}" is not a log level; set it to error, warn, info, debug or verbose, or leave it unset for info`);
  }
  return ['fatal', ...LEVELS.slice(0, index + 1)];
}
