import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  formatInZone,
  offsetAt,
  parseDate,
  parseDateTime,
  startOfDay,
  wallTimeAt,
  zonedTimeToUtc,
} from './time.js';

const ZONES = [
  'UTC',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'America/St_Johns',
  'Europe/London',
  'Europe/Paris',
  'Africa/Casablanca',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'America/Santiago',
] as const;

const utc = (iso: string) => Date.parse(iso);
const originalTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = originalTz;
});

describe('wall time in a zone to UTC', () => {
  it('converts ordinary times with the zone’s offset on that date', () => {
    expect(parseDateTime('2030-03-08T10:00:00', 'America/New_York')).toBe(utc('2030-03-08T15:00:00Z'));
    expect(parseDateTime('2030-03-11T10:00:00', 'America/New_York')).toBe(utc('2030-03-11T14:00:00Z'));
    expect(parseDateTime('2030-07-01T09:30', 'Asia/Kathmandu')).toBe(utc('2030-07-01T03:45:00Z'));
    expect(parseDateTime('2030-01-15T09:00:00.250', 'Australia/Sydney')).toBe(utc('2030-01-14T22:00:00.250Z'));
  });

  it('moves a time skipped by spring-forward ahead by the gap (Temporal “compatible”)', () => {
    // 2030-03-10 02:00 EST → 03:00 EDT: 02:30 does not exist in New York.
    expect(parseDateTime('2030-03-10T02:30:00', 'America/New_York')).toBe(utc('2030-03-10T07:30:00Z'));
    expect(formatInZone(utc('2030-03-10T07:30:00Z'), 'America/New_York')).toBe('2030-03-10T03:30:00-04:00');
    // Lord Howe moves by 30 minutes.
    expect(parseDateTime('2030-10-06T02:15:00', 'Australia/Lord_Howe')).toBe(utc('2030-10-05T15:45:00Z'));
  });

  it('takes the first of two repeated times when clocks go back', () => {
    // 2030-11-03 02:00 EDT → 01:00 EST: 01:30 happens twice; the first is EDT.
    expect(parseDateTime('2030-11-03T01:30:00', 'America/New_York')).toBe(utc('2030-11-03T05:30:00Z'));
    // 2030-10-27 02:00 BST → 01:00 GMT in London.
    expect(parseDateTime('2030-10-27T01:30:00', 'Europe/London')).toBe(utc('2030-10-27T00:30:00Z'));
  });

  it('respects an explicit offset or Z over the zone', () => {
    expect(parseDateTime('2030-03-14T15:00:00-04:00', 'Asia/Tokyo')).toBe(utc('2030-03-14T19:00:00Z'));
    expect(parseDateTime('2030-03-14T15:00:00Z', 'Asia/Tokyo')).toBe(utc('2030-03-14T15:00:00Z'));
    expect(parseDateTime('2030-03-14T15:00:00+0530', 'UTC')).toBe(utc('2030-03-14T09:30:00Z'));
  });

  it('refuses malformed and impossible date-times', () => {
    for (const bad of [
      '2030-02-30T10:00',
      '2030-03-14',
      '2030-03-14T24:00',
      'tomorrow 3pm',
      '2030-03-14T10:00+25:00',
    ]) {
      expect(parseDateTime(bad, 'UTC'), bad).toBeUndefined();
    }
  });

  it('never depends on the server’s own time zone', () => {
    const expected = parseDateTime('2030-11-03T01:30:00', 'America/New_York');
    for (const tz of ['Asia/Tokyo', 'Pacific/Kiritimati', 'America/Los_Angeles']) {
      process.env.TZ = tz;
      expect(parseDateTime('2030-11-03T01:30:00', 'America/New_York')).toBe(expected);
      expect(formatInZone(utc('2030-11-03T05:30:00Z'), 'America/New_York')).toBe('2030-11-03T01:30:00-04:00');
    }
  });

  it('finds the first moment of days that start at 01:00 (no midnight)', () => {
    // Chile springs forward at 24:00 on the first Saturday of September: Sunday starts at 01:00.
    const day = parseDate('2030-09-08');
    expect(day).toBeDefined();
    const start = startOfDay(day as NonNullable<typeof day>, 'America/Santiago');
    expect(formatInZone(start, 'America/Santiago')).toBe('2030-09-08T01:00:00-03:00');
  });
});

describe('formatting in a zone', () => {
  it('writes ISO 8601 with the zone’s offset, milliseconds only when present', () => {
    expect(formatInZone(utc('2030-03-14T19:00:00Z'), 'America/New_York')).toBe('2030-03-14T15:00:00-04:00');
    expect(formatInZone(utc('2030-03-14T19:00:00.5Z'), 'Asia/Kolkata')).toBe('2030-03-15T00:30:00.500+05:30');
    expect(formatInZone(utc('2030-03-14T19:00:00Z'), 'UTC')).toBe('2030-03-14T19:00:00+00:00');
    expect(formatInZone(utc('2030-06-01T00:00:00Z'), 'Pacific/Chatham')).toBe('2030-06-01T12:45:00+12:45');
  });
});

describe('calendar dates', () => {
  it('parses real dates only and does calendar arithmetic', () => {
    expect(parseDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseDate('2030-02-29')).toBeUndefined();
    expect(parseDate('2030-3-1')).toBeUndefined();
    expect(addDays({ year: 2030, month: 12, day: 30 }, 7)).toEqual({ year: 2031, month: 1, day: 6 });
    expect(daysBetween({ year: 2030, month: 3, day: 8 }, { year: 2030, month: 3, day: 12 })).toBe(4);
  });
});

describe('properties', () => {
  const instants = fc.integer({ min: utc('1975-01-01T00:00:00Z'), max: utc('2100-01-01T00:00:00Z') });
  const zones = fc.constantFrom(...ZONES);

  it('an instant written in any zone reads back as the same instant, in any zone', () => {
    fc.assert(
      fc.property(instants, zones, zones, (ms, tz, other) => {
        expect(parseDateTime(formatInZone(ms, tz), other)).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('the wall time of an instant maps back to that wall time (earliest instant showing it)', () => {
    fc.assert(
      fc.property(instants, zones, (ms, tz) => {
        const wall = wallTimeAt(ms, tz);
        const back = zonedTimeToUtc(wall, tz);
        expect(wallTimeAt(back, tz)).toEqual(wall);
        // Equal, or earlier by a repeated hour (clocks went back): never later.
        expect(back).toBeLessThanOrEqual(ms);
        expect(ms - back).toBeLessThanOrEqual(2 * 3_600_000);
        if (back !== ms) expect(offsetAt(back, tz)).toBeGreaterThan(offsetAt(ms, tz));
      }),
      { numRuns: 2000 },
    );
  });

  it('local wall times without offset convert consistently with the zone’s offset', () => {
    fc.assert(
      fc.property(instants, zones, (ms, tz) => {
        const local = formatInZone(ms, tz).replace(/([+-]\d{2}:\d{2}|Z)$/, '');
        const converted = parseDateTime(local, tz) as number;
        expect(formatInZone(converted, tz).startsWith(local)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
