/**
 * Request validation with the messages Cal.com's NestJS `ValidationPipe` gives: problems are
 * collected (not only the first) and properties the API does not define are refused
 * (`property x should not exist`), which catches client drift the real API would also refuse.
 */
import { isTimeZone } from '@switchboard/common/time-zones';

/** Languages `CreateBookingAttendee.language` accepts. */
export const AttendeeLanguages = [
  'ar',
  'ca',
  'de',
  'es',
  'eu',
  'he',
  'id',
  'ja',
  'lv',
  'pl',
  'ro',
  'sr',
  'th',
  'vi',
  'az',
  'cs',
  'el',
  'es-419',
  'fi',
  'hr',
  'it',
  'km',
  'nl',
  'pt',
  'ru',
  'sv',
  'tr',
  'zh-CN',
  'bg',
  'da',
  'en',
  'et',
  'fr',
  'hu',
  'iw',
  'ko',
  'no',
  'pt-BR',
  'sk',
  'ta',
  'uk',
  'zh-TW',
  'bn',
] as const;

/** Integrations `BookingInputIntegrationLocation_2024_08_13.integration` accepts. */
export const LocationIntegrations = [
  'cal-video',
  'google-meet',
  'zoom',
  'whereby-video',
  'whatsapp-video',
  'webex-video',
  'telegram-video',
  'tandem',
  'sylaps-video',
  'skype-video',
  'sirius-video',
  'signal-video',
  'shimmer-video',
  'salesroom-video',
  'roam-video',
  'riverside-video',
  'ping-video',
  'office365-video',
  'mirotalk-video',
  'jitsi',
  'jelly-video',
  'jelly-conferencing',
  'huddle',
  'facetime-video',
  'element-call-video',
  'eightxeight-video',
  'discord-video',
  'demodesk-video',
  'campfire-video',
] as const;

/** Collects validation problems. */
export class Problems {
  readonly list: string[] = [];
  add(message: string): void {
    this.list.push(message);
  }
  /** Refuses properties outside `allowed` (`prefix` names the nesting, e.g. `attendee.`). */
  onlyKnown(obj: Record<string, unknown>, allowed: readonly string[], prefix = ''): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.add(`${prefix}property ${key} should not exist`);
    }
  }
}

/** A plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** True for a real calendar date `YYYY-MM-DD`. */
export function isIsoDate(v: string): boolean {
  const m = ISO_DATE.exec(v);
  if (!m) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
}

/**
 * Parses an ISO 8601 date-time. Returns the instant (a zone-less time is read as UTC), whether
 * it was written in UTC and whether it had any offset — callers refuse non-UTC times where
 * Cal.com documents UTC — or undefined when malformed.
 */
export function parseIsoDateTime(v: string): { ms: number; utc: boolean; hasOffset: boolean } | undefined {
  const m = ISO_DATE_TIME.exec(v);
  if (!m) return undefined;
  const datePart = `${m[1]}-${m[2]}-${m[3]}`;
  if (!isIsoDate(datePart)) return undefined;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6] ?? '0');
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8];
  const ms = Date.parse(zone ? v : `${v}Z`);
  if (Number.isNaN(ms)) return undefined;
  const utc = zone === 'Z' || zone === '+00:00' || zone === '+0000' || zone === '-00:00';
  return { ms, utc, hasOffset: zone !== undefined };
}

/** Checks a required IANA time zone. */
export function checkTimeZone(p: Problems, value: unknown, name: string): void {
  if (typeof value !== 'string' || !isTimeZone(value)) p.add(`${name} must be a valid IANA time zone`);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/** A plausible e-mail address (class-validator's `IsEmail` is stricter; this is enough for a sandbox). */
export const isEmail = (v: unknown): v is string => typeof v === 'string' && EMAIL.test(v);
/** A phone number in E.164 format. */
export const isE164 = (v: unknown): v is string => typeof v === 'string' && E164.test(v);

/** Checks `metadata`: at most 50 keys, keys up to 40 characters, string values up to 500. */
export function checkMetadata(p: Problems, value: unknown): void {
  if (!isObject(value)) {
    p.add('metadata must be an object');
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > 50) p.add('metadata must have at most 50 keys');
  for (const key of keys) {
    if (key.length > 40) p.add(`metadata key '${key.slice(0, 40)}…' must be at most 40 characters`);
    const v = value[key];
    if (typeof v === 'string') {
      if (v.length > 500) p.add(`metadata value of '${key}' must be at most 500 characters`);
    } else if (typeof v !== 'number' && typeof v !== 'boolean') {
      p.add(`metadata value of '${key}' must be a string, number or boolean`);
    }
  }
}
