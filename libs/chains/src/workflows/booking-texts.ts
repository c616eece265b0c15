/**
 * The texts a booking lifecycle sends the customer, and how they show times: the appointment
 * as the customer reads it (`Tue, Mar 12, 3:00 PM EDT`) and a sample RESCHEDULE time in the
 * grammar of `sms-replies.ts`. Pure (workflow code): the same booking gets the same words.
 */
import { formatDate, wallTimeAt } from '@switchboard/common/time-zones';

/** An instant as the customer reads it, e.g. `Tue, Mar 12, 3:00 PM EDT`. */
export function formatWhen(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(ms));
}

/** A sample RESCHEDULE time for the texts: the day after the appointment, same hour, in its zone. */
export function exampleTime(startMs: number, timeZone: string): string {
  const local = wallTimeAt(startMs + 24 * 3_600_000, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${formatDate(local)} ${two(local.hour)}:${two(local.minute)}`;
}

/**
 * The customer texts. `when` is the appointment as {@link formatWhen} writes it, `example` a
 * time as {@link exampleTime} writes it.
 */
export const BookingTexts = {
  /** Right after booking: confirm, cancel or move it (by `deadline` when the booking must be confirmed earlier). */
  confirmRequest: (name: string, when: string, deadline: string | undefined, example: string) =>
    `Hi ${name}, your appointment is booked for ${when}. Please reply YES to confirm${deadline === undefined ? '' : ` by ${deadline}`}, ` +
    `NO to cancel, or RESCHEDULE with a new date and time (e.g. RESCHEDULE ${example}).`,
  confirmed: (name: string, when: string) => `Thank you, ${name}! Your appointment on ${when} is confirmed.`,
  cancelFailed: (when: string) =>
    `Sorry, we could not cancel your appointment on ${when} right now. Please try again later or call us.`,
  cancelled: (when: string) => `Your appointment on ${when} has been cancelled.`,
  rescheduleHelp: (example: string) =>
    `To reschedule, reply RESCHEDULE followed by the new date and time, e.g. RESCHEDULE ${example}.`,
  reschedulePast: (asked: string, when: string) =>
    `Sorry, ${asked} has already passed. Your appointment stays on ${when}.`,
  rescheduled: (when: string) => `Your appointment has been moved to ${when}.`,
  /** Cal.com refused the time (taken, outside hours). */
  rescheduleRefused: (asked: string, when: string) =>
    `Sorry, ${asked} is not available. Your appointment stays on ${when}.`,
  /** Cal.com could not be reached. */
  rescheduleFailed: (when: string) =>
    `Sorry, we could not reschedule right now. Your appointment stays on ${when}. Please try again later.`,
  /** A reply the grammar does not know; `awaiting`: the booking is not confirmed yet. */
  help: (when: string, awaiting: boolean, example: string) =>
    `About your appointment on ${when}: reply ${awaiting ? 'YES to confirm, ' : ''}NO to cancel, or RESCHEDULE with a new date and time ` +
    `(e.g. RESCHEDULE ${example}).`,
  autoCancelled: (when: string) =>
    `Your appointment on ${when} has been cancelled because it was not confirmed in time.`,
  reminder: (when: string, awaiting: boolean) =>
    `Reminder: your appointment is on ${when}.${awaiting ? ' Reply YES to confirm or NO to cancel.' : ''}`,
} as const;
