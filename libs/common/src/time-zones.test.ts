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
} from './time-zones.js';

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

  it('writes the wall time wallTimeAt reads, at any instant in history (BCE years, local mean time, DST)', () => {
    const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: -70_000_000_000_000, max: 4_200_000_000_000 }),
        fc.constantFrom(...ZONES, 'Asia/Kathmandu', 'Europe/Amsterdam', 'Africa/Monrovia'),
        (ms, tz) => {
          const text = formatInZone(ms, tz, { millis: 'always' });
          if (offsetAt(ms, tz) % 60_000 !== 0) return; // written in UTC (see formatInZone)
          const w = wallTimeAt(ms, tz);
          const year = w.year < 0 ? `-${pad(w.year, 6)}` : pad(w.year, 4);
          const wall = `${year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
          expect(text.startsWith(`${wall}.${pad(w.millisecond, 3)}`)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
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

/** The instants in `year` at which `timeZone` changes its offset, with the offsets either side. */
function transitions(timeZone: string, year: number): { at: number; before: number; after: number }[] {
  const found: { at: number; before: number; after: number }[] = [];
  const from = Date.UTC(year, 0, 1);
  const to = Date.UTC(year + 1, 0, 1);
  for (let day = from; day < to; day += 86_400_000) {
    const before = offsetAt(day, timeZone);
    const after = offsetAt(day + 86_400_000, timeZone);
    if (before === after) continue;
    // Binary search in whole seconds: offsets only change on a second.
    let lo = day / 1000;
    let hi = (day + 86_400_000) / 1000;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(mid * 1000, timeZone) === before) lo = mid;
      else hi = mid;
    }
    found.push({ at: hi * 1000, before, after });
  }
  return found;
}

describe('properties at DST transitions', () => {
  const DST_ZONES = ZONES.filter((z) => transitions(z, 2030).length > 0);
  const cases = fc
    .record({
      zone: fc.constantFrom(...DST_ZONES),
      year: fc.integer({ min: 1990, max: 2060 }),
      which: fc.nat(),
      fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    })
    .map(({ zone, year, which, fraction }) => {
      const all = transitions(zone, year);
      return all.length === 0 ? undefined : { zone, fraction, ...all[which % all.length]! };
    })
    .filter((c) => c !== undefined);

  it('finds transitions in zones that observe DST (the generator is not empty)', () => {
    expect(DST_ZONES).toEqual(
      expect.arrayContaining(['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago']),
    );
    expect(transitions('America/New_York', 2030).map((t) => new Date(t.at).toISOString())).toEqual([
      '2030-03-10T07:00:00.000Z',
      '2030-11-03T06:00:00.000Z',
    ]);
  });

  it('a wall time skipped by clocks going forward moves forward by the gap', () => {
    fc.assert(
      fc.property(cases, (c) => {
        fc.pre(c.after > c.before);
        const gap = c.after - c.before;
        const k = Math.floor((c.fraction * gap) / 60_000) * 60_000;
        // The wall time `k` into the gap, as the clock would have read had it not jumped.
        const skipped = wallTimeAt(c.at + c.before + k, 'UTC');
        // Nobody's clock shows it: at that instant the zone shows it plus the gap.
        expect(wallTimeAt(c.at + k, c.zone)).toEqual(wallTimeAt(c.at + c.after + k, 'UTC'));
        expect(zonedTimeToUtc(skipped, c.zone)).toBe(c.at + k);
      }),
      { numRuns: 400 },
    );
  });

  it('a wall time repeated by clocks going back means its first occurrence', () => {
    fc.assert(
      fc.property(cases, (c) => {
        fc.pre(c.after < c.before);
        const repeat = c.before - c.after;
        const k = Math.floor((c.fraction * repeat) / 60_000) * 60_000;
        // Shown twice: `repeat - k` before the transition and `k` after it.
        const second = c.at + k;
        const first = second - repeat;
        const wall = wallTimeAt(second, c.zone);
        expect(wallTimeAt(first, c.zone)).toEqual(wall);
        expect(zonedTimeToUtc(wall, c.zone)).toBe(first);
      }),
      { numRuns: 400 },
    );
  });

  it('instants around a transition read back as themselves, in either ISO form', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }), (c, delta) => {
        const ms = c.at + delta;
        expect(parseDateTime(formatInZone(ms, c.zone), 'UTC')).toBe(ms);
        expect(parseDateTime(formatInZone(ms, c.zone, { millis: 'always', utcAsZ: true }), 'UTC')).toBe(ms);
        const wall = wallTimeAt(ms, c.zone);
        // Before or after the transition, the wall time maps back to an instant showing it.
        expect(wallTimeAt(zonedTimeToUtc(wall, c.zone), c.zone)).toEqual(wall);
      }),
      { numRuns: 400 },
    );
  });
});
