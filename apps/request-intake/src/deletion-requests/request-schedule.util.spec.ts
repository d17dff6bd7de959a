import { computeRequestSchedule, hasGracePeriodEnded, isCancellable } from './request-schedule.util';

const DAY = 86_400_000;
const createdAt = new Date('2024-03-10T23:59:59.999Z');

describe('computeRequestSchedule', () => {
  it('adds the grace period to a workspace deletion', () => {
    const schedule = computeRequestSchedule('workspace', createdAt, 5 * DAY, 30 * DAY);
    expect(schedule.graceEndsAt?.toISOString()).toBe('2024-03-15T23:59:59.999Z');
  });

  it('counts the deadline from the request', () => {
    const schedule = computeRequestSchedule('workspace', createdAt, 5 * DAY, 30 * DAY);
    expect(schedule.deadline.toISOString()).toBe('2024-04-09T23:59:59.999Z');
  });

  it('crosses a daylight-saving change in whole UTC days', () => {
    const beforeChange = new Date('2024-03-30T12:00:00.000Z');
    const schedule = computeRequestSchedule('workspace', beforeChange, 5 * DAY, 30 * DAY);
    expect(schedule.graceEndsAt?.toISOString()).toBe('2024-04-04T12:00:00.000Z');
  });

  it('gives kinds without grace no grace end', () => {
    const schedule = computeRequestSchedule('user', createdAt, 5 * DAY, 30 * DAY);
    expect(schedule.graceEndsAt).toBeNull();
  });
});

describe('hasGracePeriodEnded', () => {
  const graceEndsAt = new Date('2024-03-15T00:00:00.000Z');

  it('is false one millisecond before the end', () => {
    expect(hasGracePeriodEnded(graceEndsAt, new Date('2024-03-14T23:59:59.999Z'))).toBe(false);
  });

  it('is true at the end instant', () => {
    expect(hasGracePeriodEnded(graceEndsAt, new Date('2024-03-15T00:00:00.000Z'))).toBe(true);
  });

  it('is true one millisecond after the end', () => {
    expect(hasGracePeriodEnded(graceEndsAt, new Date('2024-03-15T00:00:00.001Z'))).toBe(true);
  });

  it('is true without a grace period', () => {
    expect(hasGracePeriodEnded(null, new Date('2024-03-01T00:00:00.000Z'))).toBe(true);
  });
});

describe('isCancellable', () => {
  const graceEndsAt = new Date('2024-03-15T00:00:00.000Z');
  const inGrace = new Date('2024-03-14T23:59:59.999Z');

  it('allows a scheduled request inside grace', () => {
    expect(isCancellable('scheduled', graceEndsAt, inGrace)).toBe(true);
  });

  it('rejects a scheduled request at the grace end', () => {
    expect(isCancellable('scheduled', graceEndsAt, graceEndsAt)).toBe(false);
  });

  it.each(['due', 'purging', 'completed', 'failed', 'cancelled'] as const)('rejects a %s request', (status) => {
    expect(isCancellable(status, graceEndsAt, inGrace)).toBe(false);
  });
});
