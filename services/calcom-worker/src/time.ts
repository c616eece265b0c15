/**
 * Time-zone arithmetic for Cal.com calls with `Intl.DateTimeFormat` only (no date library).
 *
 * Cal.com takes booking starts and slot ranges in UTC and answers slots in the zone asked for;
 * callers speak wall time in their own zone. Every conversion here names its IANA zone
 * explicitly: the server's zone is never consulted (`Date.parse` of a zone-less time would).
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
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** A wall-clock (local) date and time; `month` is 1-12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** The wall-clock time of an instant in `timeZone`. */
export function wallTimeAt(ms: number, timeZone: string): WallTime {
  const out: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
    millisecond: ((ms % 1000) + 1000) % 1000,
  };
}

/** Treats a wall time as if it were UTC (years 0-99 included, which `Date.UTC` would shift). */
function asUtc(w: WallTime): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, w.millisecond);
  return d.getTime();
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

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * ISO 8601 with the zone's own offset, e.g. `2025-03-14T15:00:00-04:00` (milliseconds only
 * when not zero). Offsets with seconds (local mean time before ~1972) have no ISO offset
 * notation; such instants are written in UTC (`…Z`) so the text still denotes the instant.
 */
export function formatInZone(ms: number, timeZone: string): string {
  const offset = offsetAt(ms, timeZone);
  if (offset % 60_000 !== 0) return new Date(ms).toISOString();
  const w = wallTimeAt(ms, timeZone);
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const millis = w.millisecond === 0 ? '' : `.${pad(w.millisecond, 3)}`;
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${millis}${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
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
  const ms = (d: CalendarDate) => asUtc({ ...d, hour: 12, minute: 0, second: 0, millisecond: 0 });
  return Math.round((ms(b) - ms(a)) / DAY_MS);
}

/** The instant a local day starts in `timeZone` (its first existing moment). */
export function startOfDay(d: CalendarDate, timeZone: string): number {
  return zonedTimeToUtc({ ...d, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
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
