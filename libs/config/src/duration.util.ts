const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Parses a duration such as `5d`, `12h`, `30s` or `250ms` into milliseconds.
 * A day is 24 hours: every time in the platform is UTC, so there are no
 * daylight-saving days of 23 or 25 hours.
 */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) {
    throw new Error(`invalid duration "${text}": use a whole number followed by ms, s, m, h or d, such as 5d or 30s`);
  }
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** Formats milliseconds with the largest unit that divides them, the inverse of `parseDuration`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) {
      return `${ms / UNIT_MS[unit]}${unit}`;
    }
  }
  return `${ms}ms`;
}
