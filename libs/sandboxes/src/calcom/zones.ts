/**
 * Wall-clock arithmetic in IANA time zones with `Intl.DateTimeFormat` only: the sandbox computes
 * availability in the host's zone and answers in the caller's, like Cal.com does, without a
 * date library (the sandbox package has no dependencies).
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
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `Intl` knows the zone (IANA names and `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '' || /^[+-]/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Calendar fields of a wall-clock time. `month` is 1-12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock time of an instant in a zone (seconds precision). */
export function wallTime(ms: number, timeZone: string): WallTime {
  const out: Record<string, number> = {};
  let bc = false;
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type === 'era') bc = part.value.startsWith('B');
    else if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  const year = out.year ?? 1970;
  return {
    year: bc ? 1 - year : year,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** `Date.UTC` that also works for years 0-99 (which `Date.UTC` maps to 1900-1999). */
export function utcMs(w: WallTime, millisecond = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, millisecond);
  return d.getTime();
}

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
export function offsetMs(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return utcMs(wallTime(whole, timeZone)) - whole;
}

const DAY_MS = 86_400_000;

/**
 * The instant a wall-clock time in a zone denotes. DST is resolved like Temporal's
 * `compatible` disambiguation: a time repeated when clocks go back means its first (earlier)
 * occurrence; a time skipped when clocks go forward is moved forward by the gap.
 */
export function zonedToUtc(w: WallTime, timeZone: string, millisecond = 0): number {
  const local = utcMs(w, millisecond);
  const before = offsetMs(local - DAY_MS, timeZone);
  const after = offsetMs(local + DAY_MS, timeZone);
  const offsets = new Set([before, after, offsetMs(local - before, timeZone)]);
  let best: number | undefined;
  for (const offset of offsets) {
    const instant = local - offset;
    if (offsetMs(instant, timeZone) === offset && (best === undefined || instant < best)) best = instant;
  }
  // No candidate: the wall time falls in a gap; the pre-transition offset moves it forward.
  return best ?? local - before;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/**
 * ISO 8601 with the zone's offset, e.g. `2050-09-05T09:00:00.000+02:00` (Cal.com's slot
 * format); `Z` for UTC. Offsets with seconds (pre-1972 local mean times) cannot be written as
 * ISO offsets, so such instants are written in UTC.
 */
export function formatZoned(ms: number, timeZone: string, withMillis = true): string {
  const offset = offsetMs(ms, timeZone);
  if (offset % 60_000 !== 0) return new Date(ms).toISOString();
  const w = wallTime(ms, timeZone);
  const millis = withMillis ? `.${pad(((ms % 1000) + 1000) % 1000, 3)}` : '';
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60_000;
  const zone =
    timeZone === 'UTC' || timeZone === 'Etc/UTC' ? 'Z' : `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  const year = w.year < 0 ? `-${pad(w.year, 6)}` : pad(w.year, 4);
  return `${year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${millis}${zone}`;
}

/** `YYYY-MM-DD` of an instant in a zone. */
export function dateKey(ms: number, timeZone: string): string {
  const w = wallTime(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}
