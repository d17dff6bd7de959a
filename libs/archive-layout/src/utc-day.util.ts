const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Checks a whole-UTC-day value; returns what is wrong with it, or undefined
 * when it is a valid `YYYY-MM-DD`. A time of day is rejected, not rounded:
 * deletions are scoped to whole days and never widened.
 */
export function validateUtcDay(text: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}[T ]/.test(text)) {
    return `"${text}" has a time of day; deletions are scoped to whole UTC days, so give YYYY-MM-DD only`;
  }
  const match = DAY_PATTERN.exec(text);
  if (!match) {
    return `"${text}" is not a day; give a UTC calendar day as YYYY-MM-DD`;
  }
  const instant = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (instant.toISOString().slice(0, 10) !== text) {
    return `"${text}" is not a calendar day`;
  }
  return undefined;
}

/** Returns the half-open UTC window [from 00:00, the day after to 00:00) that the inclusive day range covers. */
export function utcDayWindow(from: string, to: string): { start: Date; end: Date } {
  return { start: new Date(`${from}T00:00:00.000Z`), end: new Date(Date.parse(`${to}T00:00:00.000Z`) + DAY_MS) };
}

/** Lists every day from `from` to `to`, inclusive, as `YYYY-MM-DD`. */
export function utcDaysInRange(from: string, to: string): string[] {
  const days: string[] = [];
  for (let time = Date.parse(`${from}T00:00:00.000Z`); time <= Date.parse(`${to}T00:00:00.000Z`); time += DAY_MS) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}
