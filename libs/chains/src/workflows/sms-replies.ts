/**
 * The grammar of a customer's SMS reply to a booking's texts: YES / NO / CANCEL / STOP /
 * RESCHEDULE <date> <time>. Pure: the booking lifecycle and the SMS thread (which routes a reply
 * to the booking that asked) both read replies with it.
 */

/** A customer's reply, classified. */
export type LifecycleReply =
  | { kind: 'confirm' }
  | { kind: 'cancel'; optOut: boolean }
  | { kind: 'reschedule'; time?: RequestedTime }
  | { kind: 'other' };

/** A wall-clock time the customer wrote, in the booking's zone. */
export interface RequestedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** ISO 8601 without offset, `YYYY-MM-DDTHH:MM:00` (how `calcom.reschedule` takes a zone-local time). */
  wall: string;
  /** As the customer wrote it (for texts). */
  text: string;
}

const CONFIRM = new Set(['YES', 'Y', 'CONFIRM', 'CONFIRMED']);
const CANCEL = new Set(['NO', 'N', 'CANCEL']);
/** Twilio's opt-out keywords besides CANCEL: after them, Twilio blocks texts to the number. */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const RESCHEDULE = /^RESCHEDULE\b[\s:,-]*(.*)$/i;
const DATE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T|\s*(?:AT|,)\s*)(\d{1,2})(?:[:.h](\d{2}))?\s*([AP]\.?M\.?)?$/i;

/**
 * Classifies an SMS reply, ignoring case, surrounding whitespace and punctuation: YES / Y /
 * CONFIRM confirm; NO / N / CANCEL and Twilio's opt-out words (STOP…) cancel; RESCHEDULE,
 * optionally followed by `YYYY-MM-DD HH:MM` (24-hour, or with AM/PM), asks to move.
 */
export function classifyReply(body: string): LifecycleReply {
  const text = body.trim().replace(/\s+/g, ' ');
  const word = text
    .toUpperCase()
    .replace(/[^A-Z0-9 ]/g, '')
    .trim();
  if (CONFIRM.has(word)) return { kind: 'confirm' };
  if (CANCEL.has(word)) return { kind: 'cancel', optOut: false };
  if (OPT_OUT.has(word)) return { kind: 'cancel', optOut: true };
  const reschedule = RESCHEDULE.exec(text);
  if (reschedule) {
    const time = parseWallTime((reschedule[1] ?? '').replace(/[.!]+$/, '').trim());
    return time === undefined ? { kind: 'reschedule' } : { kind: 'reschedule', time };
  }
  return { kind: 'other' };
}

/** Parses `YYYY-MM-DD HH:MM` (or `…THH:MM`, `… 3pm`, `… 3:30 PM`); undefined unless a real date and time. */
export function parseWallTime(text: string): RequestedTime | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  let hour = Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const meridiem = m[6]?.replace(/\./g, '').toUpperCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    year,
    month,
    day,
    hour,
    minute,
    wall: `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:00`,
    text,
  };
}
