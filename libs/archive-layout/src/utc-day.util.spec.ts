import { utcDayWindow, utcDaysInRange, validateUtcDay } from './utc-day.util';

describe('utcDayWindow', () => {
  const originalTimeZone = process.env.TZ;

  afterEach(() => {
    process.env.TZ = originalTimeZone;
  });

  it.each(['UTC', 'Asia/Tokyo', 'America/Los_Angeles', 'Pacific/Auckland'])('covers one whole UTC day in %s', (timeZone) => {
    process.env.TZ = timeZone;
    const window = utcDayWindow('2024-03-10', '2024-03-10');
    expect(window.start.toISOString()).toBe('2024-03-10T00:00:00.000Z');
    expect(window.end.toISOString()).toBe('2024-03-11T00:00:00.000Z');
  });

  it('includes the last day of the range', () => {
    expect(utcDayWindow('2024-02-28', '2024-03-01').end.toISOString()).toBe('2024-03-02T00:00:00.000Z');
  });
});

describe('utcDaysInRange', () => {
  it('lists both ends of the range', () => {
    expect(utcDaysInRange('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });

  it('lists one day for an equal range', () => {
    expect(utcDaysInRange('2024-03-10', '2024-03-10')).toEqual(['2024-03-10']);
  });

  it('lists the days across a daylight-saving change', () => {
    process.env.TZ = 'America/Los_Angeles';
    expect(utcDaysInRange('2024-03-09', '2024-03-11')).toEqual(['2024-03-09', '2024-03-10', '2024-03-11']);
  });
});

describe('validateUtcDay', () => {
  it('accepts a calendar day', () => {
    expect(validateUtcDay('2024-02-29')).toBeUndefined();
  });

  it.each(['2024-03-10T00:00:00Z', '2024-03-10T12:00', '2024-03-10 08:00'])('rejects the time of day in %s', (text) => {
    expect(validateUtcDay(text)).toContain('whole UTC days');
  });

  it.each(['2023-02-29', '2024-13-01', '10-03-2024', ''])('rejects %s', (text) => {
    expect(validateUtcDay(text)).toBeDefined();
  });
});
