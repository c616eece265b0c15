/**
 * What every booking chain of a run needs to be distinct: its slot (the Cal.com sandbox refuses
 * a slot already taken, as Cal.com does) and the caller's phone number (each booking's
 * lifecycle follows the SMS thread of its number).
 */

/** The receptionist's Cal.com event type and zone (libs/devstack/demo/receptionist/*.json). */
export const RECEPTIONIST = {
  eventTypeId: 1001,
  timeZone: 'America/New_York',
  /** The SMS step's sender (`send_sms_confirmation.builtin.json`). */
  smsFrom: '+15557654321',
  /** Days the availability check looks ahead (`check_availability.builtin.json`). */
  daysAhead: 7,
} as const;

/** 30-minute slots in the sandbox's 09:00–17:00 weekday availability. */
const SLOTS_PER_DAY = 16;

/** A chain's own slot, as wall time in {@link RECEPTIONIST}'s zone. */
export interface Slot {
  /** `YYYY-MM-DD`: the availability check's `start_date`. */
  date: string;
  /** `YYYY-MM-DDTHH:MM:00`, zone-less: the booking's `start`. */
  wall: string;
}

/**
 * Gives chain `index` a slot of its own: weekday `index / 16` after the base Monday (weekends
 * skipped), slot `index % 16` of that day. The base Monday is at least two weeks ahead, so no
 * slot is too soon to book.
 */
export function slotAllocator(now = new Date()): (index: number) => Slot {
  const base = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 14));
  base.setUTCDate(base.getUTCDate() + ((8 - base.getUTCDay()) % 7));
  const two = (n: number) => String(n).padStart(2, '0');
  return (index) => {
    const day = Math.floor(index / SLOTS_PER_DAY);
    const d = new Date(base);
    d.setUTCDate(d.getUTCDate() + Math.floor(day / 5) * 7 + (day % 5));
    const minutes = 9 * 60 + (index % SLOTS_PER_DAY) * 30;
    const date = d.toISOString().slice(0, 10);
    return { date, wall: `${date}T${two(Math.floor(minutes / 60))}:${two(minutes % 60)}:00` };
  };
}

/** A distinct E.164 mobile number per index (+1 555 and seven digits; none is a Twilio magic number). */
export function phoneFor(index: number): string {
  return `+1555${String(index % 10_000_000).padStart(7, '0')}`;
}
