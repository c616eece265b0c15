/**
 * Dates and times as a voice agent says them: "Wednesday, December 9 at 3 PM" rather than
 * `2026-12-09T20:00:00.000Z`. The template filters `spoken_datetime`, `spoken_date` and
 * `spoken_time` (see `templates.ts`) render through here.
 *
 * Built on `Intl.DateTimeFormat` and `@switchboard/common/time-zones` only: no Node built-ins,
 * no clock, so it is deterministic and runs inside workflows. The words and their order are the
 * locale's (ICU's), e.g. `fr-FR` says "mercredi 9 décembre à 15 h". Minutes are said only when
 * they are not zero ("3 PM", "3:30 PM"). The year is not said: a spoken date is near.
 *
 * A value that is not a date, or a time zone `Intl` does not know, renders the value unchanged:
 * a raw ISO string is better than a time in the wrong zone.
 */
import { isTimeZone, parseDate, parseDateTime } from '@switchboard/common/time-zones';

/** The spoken-value filters, by name. */
export const SpokenFilters = {
  DateTime: 'spoken_datetime',
  Date: 'spoken_date',
  Time: 'spoken_time',
} as const;
/** One of {@link SpokenFilters}. */
export type SpokenFilter = (typeof SpokenFilters)[keyof typeof SpokenFilters];

/** The locale when none is given. */
export const DEFAULT_SPOKEN_LOCALE = 'en-US';

/** True for a BCP 47 locale tag `Intl` accepts. */
export function isLocale(locale: string): boolean {
  if (locale.trim() === '') return false;
  try {
    return Intl.getCanonicalLocales(locale).length === 1;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}\u0000${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

const DATE_PART: Intl.DateTimeFormatOptions = { weekday: 'long', month: 'long', day: 'numeric' };

/**
 * `value` (ISO 8601 text: a date-time with or without offset, or a date for `spoken_date`) as
 * spoken in `timeZone` (the caller's IANA zone; a zone-less date-time is wall time there) and
 * `locale`. Never throws.
 */
export function spokenValue(
  filter: SpokenFilter,
  value: unknown,
  timeZone: unknown,
  locale: unknown = DEFAULT_SPOKEN_LOCALE,
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const lang = typeof locale === 'string' && isLocale(locale) ? locale : DEFAULT_SPOKEN_LOCALE;
  const text = value.trim();
  if (filter === SpokenFilters.Date) {
    const date = parseDate(text);
    // A calendar date is the same day everywhere: said as written, whatever the zone.
    if (date) return formatter(lang, 'UTC', DATE_PART).format(Date.UTC(date.year, date.month - 1, date.day, 12));
  }
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) return undefined;
  const ms = parseDateTime(text, timeZone);
  if (ms === undefined) return undefined;
  const minute = formatter('en-US', timeZone, { minute: 'numeric' }).format(ms);
  const time: Intl.DateTimeFormatOptions =
    minute === '0' ? { hour: 'numeric' } : { hour: 'numeric', minute: '2-digit' };
  const options =
    filter === SpokenFilters.Time ? time : filter === SpokenFilters.Date ? DATE_PART : { ...DATE_PART, ...time };
  return formatter(lang, timeZone, options).format(ms);
}
