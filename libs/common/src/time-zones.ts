/**
 * Time-zone arithmetic with `Intl.DateTimeFormat` only (no date library, no Node built-ins): the
 * one place wall time in an IANA zone meets instants. Pure and deterministic, so workflow code
 * (the booking lifecycle) uses it as well as the Cal.com worker and the Cal.com sandbox.
 *
 * Every conversion names its zone explicitly: the host's zone is never consulted (`Date.parse`
 * of a zone-less time would). DST is resolved like Temporal's `compatible` disambiguation and
 * Cal.com's own date handling: see {@link zonedTimeToUtc}.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // hourCycle h23: with `hour12: false` some ICU versions print midnight as "24".
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      // Years before 1 CE are written as positive years of the era.
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `Intl` knows the zone (IANA names and `UTC`; not numeric offsets). */
export function isTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '' || /^[+-]/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** A wall-clock (local) date and time; `month` is 1-12, `year` 0 is 1 BCE. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 when absent. */
  millisecond?: number;
}

/** The wall-clock time of an instant in `timeZone` (with its millisecond). */
export function wallTimeAt(ms: number, timeZone: string): Required<WallTime> {
  const out: Record<string, number> = {};
  let bce = false;
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type === 'era') bce = part.value.startsWith('B');
    else if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  const year = out.year ?? 1970;
  return {
    year: bce ? 1 - year : year,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
    millisecond: ((ms % 1000) + 1000) % 1000,
  };
}

/**
 * Treats a wall time as if it were UTC: `Date.UTC` that also takes years 0-99 (which
 * `Date.UTC` maps to 1900-1999). Fields out of range carry over (day 32 is the next month's 1st).
 */
export function asUtc(w: WallTime): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, w.millisecond ?? 0);
  return d.getTime();
}

/** The fields of an instant read in UTC; the inverse of {@link asUtc} (year 0 is 1 BCE). */
function utcFields(ms: number): Required<WallTime> {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return asUtc({ ...wallTimeAt(whole, timeZone), millisecond: 0 }) - whole;
}

const DAY_MS = 86_400_000;

/**
 * The instant a wall time in `timeZone` denotes, resolving DST like Temporal's `compatible`
 * disambiguation (and like Cal.com's own date handling): a time that occurs twice when clocks
 * go back is its first occurrence; a time skipped when clocks go forward moves forward by the
 * length of the gap (02:30 on a spring-forward night in New York is 03:30 EDT).
 */
export function zonedTimeToUtc(w: WallTime, timeZone: string): number {
  const local = asUtc(w);
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  let best: number | undefined;
  for (const offset of new Set([before, after, offsetAt(local - before, timeZone)])) {
    const instant = local - offset;
    if (offsetAt(instant, timeZone) === offset && (best === undefined || instant < best)) best = instant;
  }
  // No offset reproduces the wall time: it lies in a gap; the pre-transition offset moves it forward.
  return best ?? local - before;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** How {@link formatInZone} writes an instant. */
export interface ZonedFormat {
  /** Milliseconds always (`.000`, Cal.com's slot format), or only when not zero (default). */
  millis?: 'always' | 'nonzero';
  /** `Z` instead of `+00:00` in the zones `UTC` and `Etc/UTC` (default false). */
  utcAsZ?: boolean;
}

/**
 * ISO 8601 with the zone's own offset, e.g. `2025-03-14T15:00:00-04:00`. Offsets with seconds
 * (local mean time before ~1972) have no ISO offset notation; such instants are written in UTC
 * (`…Z`) so the text still denotes the instant. Years before 1 CE are written `-YYYYYY`.
 */
export function formatInZone(ms: number, timeZone: string, format: ZonedFormat = {}): string {
  const offset = offsetAt(ms, timeZone);
  if (offset % 60_000 !== 0) return new Date(ms).toISOString();
  // The wall time is the instant shifted by its offset, read as UTC: the same fields a second
  // `wallTimeAt` would give, without a second `formatToParts` (the Cal.com worker's largest cost).
  const w = utcFields(ms + offset);
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const millis = w.millisecond === 0 && format.millis !== 'always' ? '' : `.${pad(w.millisecond, 3)}`;
  const zone =
    format.utcAsZ === true && (timeZone === 'UTC' || timeZone === 'Etc/UTC')
      ? 'Z'
      : `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  const year = w.year < 0 ? `-${pad(w.year, 6)}` : pad(w.year, 4);
  return `${year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${millis}${zone}`;
}

/** `YYYY-MM-DD` of an instant in a zone. */
export function dateKey(ms: number, timeZone: string): string {
  return formatDate(wallTimeAt(ms, timeZone));
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** A calendar date `YYYY-MM-DD`. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** Parses a real calendar date `YYYY-MM-DD`; undefined for anything else (e.g. `2025-02-30`). */
export function parseDate(text: string): CalendarDate | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isRealDate(date) ? date : undefined;
}

function isRealDate(d: CalendarDate): boolean {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  const probe = new Date(0);
  probe.setUTCFullYear(d.year, d.month - 1, d.day);
  return probe.getUTCMonth() === d.month - 1 && probe.getUTCDate() === d.day;
}

/** Adds days to a calendar date (no time zone involved: calendar arithmetic). */
export function addDays(d: CalendarDate, days: number): CalendarDate {
  const probe = new Date(0);
  probe.setUTCFullYear(d.year, d.month - 1, d.day + days);
  return { year: probe.getUTCFullYear(), month: probe.getUTCMonth() + 1, day: probe.getUTCDate() };
}

/** `YYYY-MM-DD`. */
export const formatDate = (d: CalendarDate): string => `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;

/** Whole days from `a` to `b`. */
export function daysBetween(a: CalendarDate, b: CalendarDate): number {
  const ms = (d: CalendarDate) => asUtc({ year: d.year, month: d.month, day: d.day, hour: 12, minute: 0, second: 0 });
  return Math.round((ms(b) - ms(a)) / DAY_MS);
}

/** The instant a local day starts in `timeZone` (its first existing moment). */
export function startOfDay(d: CalendarDate, timeZone: string): number {
  return zonedTimeToUtc({ year: d.year, month: d.month, day: d.day, hour: 0, minute: 0, second: 0 }, timeZone);
}

/**
 * Parses an ISO 8601 date-time to an instant. With `Z` or an offset the text is absolute;
 * without, it is wall time in `timeZone` (DST resolved as in {@link zonedTimeToUtc}).
 * Returns undefined for malformed text or impossible fields.
 */
export function parseDateTime(text: string, timeZone: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const fraction = m[7] ?? '';
  const w: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? '0'),
    millisecond: fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000),
  };
  if (!isRealDate(w) || w.hour > 23 || w.minute > 59 || w.second > 59) return undefined;
  const zone = m[8];
  if (zone === undefined) return zonedTimeToUtc(w, timeZone);
  if (zone === 'Z' || zone === 'z') return asUtc(w);
  const digits = zone.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = digits.length > 3 ? Number(digits.slice(3, 5)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  const sign = zone.startsWith('-') ? -1 : 1;
  return asUtc(w) - sign * (hours * 60 + minutes) * 60_000;
}

/** True when `text` carries `Z` or a numeric offset (is absolute, independent of any zone). */
export function hasExplicitOffset(text: string): boolean {
  const m = DATE_TIME.exec(text);
  return m?.[8] !== undefined;
}

/** UTC ISO 8601 as Cal.com documents it (`2024-08-13T09:00:00.000Z`). */
export const toUtcIso = (ms: number): string => new Date(ms).toISOString();
