/**
 * The sandbox's Cal.com data: event types with weekly availability, bookings, free-slot
 * computation and the booking list filters of `GET /v2/bookings` (API version 2024-08-13).
 */
import { randomBytes } from 'node:crypto';
import {
  asUtc,
  dateKey,
  formatInZone,
  type WallTime,
  wallTimeAt,
  zonedTimeToUtc,
} from '@switchboard/common/time-zones';

/** Days of the week as Cal.com's schedules name them. */
export const Weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
/** A day name of {@link Weekdays}. */
export type Weekday = (typeof Weekdays)[number];

/** One weekly availability rule: on these days, from `startTime` to `endTime` (`HH:MM`, host zone). */
export interface AvailabilityRule {
  days: Weekday[];
  startTime: string;
  endTime: string;
}

/** An event type that can be booked. */
export interface SandboxEventType {
  id: number;
  slug: string;
  title: string;
  /** Default length. */
  lengthInMinutes: number;
  /** Lengths an attendee may pick (`duration` / `lengthInMinutes`); defaults to the default length only. */
  lengthInMinutesOptions?: number[];
  /** Distance between slot starts; defaults to the booked length. */
  slotIntervalMinutes?: number;
  /** Bookings must start at least this long after now. */
  minimumBookingNoticeMinutes?: number;
  /** Weekly availability in `timeZone` (the host's zone). */
  schedule: { timeZone: string; availability: AvailabilityRule[] };
}

/** The host every sandbox event type belongs to. */
export const SandboxHost = {
  id: 1,
  name: 'Sandbox Host',
  email: 'host@sandbox.cal.local',
  username: 'sandbox-host',
} as const;

/** Default event types; `timeZone` is the host's zone their availability is expressed in. */
export function defaultEventTypes(timeZone: string): SandboxEventType[] {
  const weekdays: Weekday[] = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
  return [
    {
      id: 1001,
      slug: '30min-consultation',
      title: '30 min consultation',
      lengthInMinutes: 30,
      schedule: { timeZone, availability: [{ days: weekdays, startTime: '09:00', endTime: '17:00' }] },
    },
    {
      id: 1002,
      slug: 'strategy-session',
      title: 'Strategy session',
      lengthInMinutes: 60,
      lengthInMinutesOptions: [30, 60, 90],
      slotIntervalMinutes: 30,
      schedule: { timeZone, availability: [{ days: weekdays, startTime: '10:00', endTime: '16:00' }] },
    },
    {
      id: 1003,
      slug: 'intro-call',
      title: '15 min intro call',
      lengthInMinutes: 15,
      schedule: {
        timeZone,
        availability: [
          { days: [...Weekdays], startTime: '08:00', endTime: '12:00' },
          { days: [...Weekdays], startTime: '13:00', endTime: '20:00' },
        ],
      },
    },
  ];
}

/** An attendee as stored and returned (`BookingAttendee`). */
export interface SandboxAttendee {
  name: string;
  email: string;
  timeZone: string;
  language: string;
  absent: boolean;
  phoneNumber?: string;
}

/** Booking statuses of API version 2024-08-13. */
export const BookingStatuses = {
  Accepted: 'accepted',
  Cancelled: 'cancelled',
  Rejected: 'rejected',
  Pending: 'pending',
} as const;
/** One of {@link BookingStatuses}. */
export type BookingStatus = (typeof BookingStatuses)[keyof typeof BookingStatuses];

/** A booking as the sandbox stores it. */
export interface StoredBooking {
  id: number;
  uid: string;
  eventTypeId: number;
  title: string;
  description: string;
  status: BookingStatus;
  startMs: number;
  endMs: number;
  attendees: SandboxAttendee[];
  guests: string[];
  metadata: Record<string, string | number | boolean>;
  bookingFieldsResponses: Record<string, unknown>;
  location: string;
  createdAt: number;
  updatedAt: number;
  icsUid: string;
  cancellationReason?: string;
  cancelledByEmail?: string;
  reschedulingReason?: string;
  rescheduledByEmail?: string;
  rescheduledFromUid?: string;
  rescheduledToUid?: string;
}

/** `BookingOutput_2024_08_13`: a booking as every bookings endpoint returns it. */
export interface BookingOutput {
  id: number;
  uid: string;
  title: string;
  description: string;
  hosts: { id: number; name: string; email: string; username: string; timeZone: string }[];
  status: BookingStatus;
  cancellationReason?: string;
  cancelledByEmail?: string;
  reschedulingReason?: string;
  rescheduledByEmail?: string;
  rescheduledFromUid?: string;
  rescheduledToUid?: string;
  start: string;
  end: string;
  duration: number;
  eventTypeId: number;
  eventType: { id: number; slug: string };
  location: string;
  absentHost: boolean;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, string | number | boolean>;
  icsUid: string;
  attendees: SandboxAttendee[];
  guests: string[];
  bookingFieldsResponses: Record<string, unknown>;
}

/** How Cal.com writes a slot: milliseconds always, `Z` in UTC (`2050-09-05T09:00:00.000+02:00`). */
const CALCOM_SLOT = { millis: 'always', utcAsZ: true } as const;
const UID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A booking uid shaped like Cal.com's (22 alphanumerics). */
export function newUid(): string {
  const bytes = randomBytes(22);
  let out = '';
  for (const b of bytes) out += UID_ALPHABET[b % UID_ALPHABET.length];
  return out;
}

const parseHm = (hm: string): { hour: number; minute: number } => {
  const [h, m] = hm.split(':');
  return { hour: Number(h), minute: Number(m) };
};

/** Sort orders of `GET /v2/bookings`. */
export type SortDirection = 'asc' | 'desc';

/** Parsed filters of `GET /v2/bookings`. */
export interface BookingFilters {
  status?: string[];
  attendeeEmail?: string;
  attendeeName?: string;
  bookingUid?: string;
  eventTypeIds?: number[];
  afterStart?: number;
  beforeEnd?: number;
  afterCreatedAt?: number;
  beforeCreatedAt?: number;
  afterUpdatedAt?: number;
  beforeUpdatedAt?: number;
  sortStart?: SortDirection;
  sortEnd?: SortDirection;
  sortCreated?: SortDirection;
  sortUpdatedAt?: SortDirection;
  take: number;
  skip: number;
}

/** The mutable state of one sandbox. */
export class CalcomModel {
  eventTypes: SandboxEventType[];
  bookings: StoredBooking[] = [];
  private nextId = 1;

  constructor(
    private readonly seed: SandboxEventType[],
    private readonly now: () => number,
  ) {
    this.eventTypes = structuredClone(seed);
  }

  reset(): void {
    this.eventTypes = structuredClone(this.seed);
    this.bookings = [];
    this.nextId = 1;
  }

  eventType(id: number): SandboxEventType | undefined {
    return this.eventTypes.find((e) => e.id === id);
  }

  eventTypeBySlug(slug: string): SandboxEventType | undefined {
    return this.eventTypes.find((e) => e.slug === slug);
  }

  booking(uid: string): StoredBooking | undefined {
    return this.bookings.find((b) => b.uid === uid);
  }

  /** Lengths an attendee may choose for the event type. */
  lengths(et: SandboxEventType): number[] {
    return et.lengthInMinutesOptions && et.lengthInMinutesOptions.length > 0
      ? et.lengthInMinutesOptions
      : [et.lengthInMinutes];
  }

  /** Availability windows (UTC ms) of the event type that touch [fromMs, toMs]. */
  private windows(et: SandboxEventType, fromMs: number, toMs: number): { start: number; end: number }[] {
    const tz = et.schedule.timeZone;
    const first = wallTimeAt(fromMs, tz);
    const out: { start: number; end: number }[] = [];
    // Walk local calendar days from the day before the range to the day after it.
    let day = asUtc({ ...first, hour: 12, minute: 0, second: 0, millisecond: 0 }) - 86_400_000;
    const lastDay = asUtc({ ...wallTimeAt(toMs, tz), hour: 12, minute: 0, second: 0, millisecond: 0 }) + 86_400_000;
    for (; day <= lastDay; day += 86_400_000) {
      const d = new Date(day);
      const weekday = Weekdays[d.getUTCDay()] as Weekday;
      const date: WallTime = {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: 0,
        minute: 0,
        second: 0,
      };
      for (const rule of et.schedule.availability) {
        if (!rule.days.includes(weekday)) continue;
        const start = zonedTimeToUtc({ ...date, ...parseHm(rule.startTime) }, tz);
        const endHm = parseHm(rule.endTime);
        // 24:00 (or 00:00 as an end) means the end of the day.
        const end =
          endHm.hour === 24 || (endHm.hour === 0 && endHm.minute === 0)
            ? zonedTimeToUtc({ ...date, day: date.day + 1, hour: 0, minute: 0 }, tz)
            : zonedTimeToUtc({ ...date, ...endHm }, tz);
        if (end > fromMs - 86_400_000 && start < toMs + 86_400_000) out.push({ start, end });
      }
    }
    return out;
  }

  /** Bookings that keep the host busy (every event type shares the one host). */
  private busy(exceptUid?: string): StoredBooking[] {
    return this.bookings.filter(
      (b) => (b.status === 'accepted' || b.status === 'pending') && (exceptUid === undefined || b.uid !== exceptUid),
    );
  }

  /** Free slot starts (UTC ms) whose start lies in [fromMs, toMs]. */
  freeSlots(et: SandboxEventType, lengthMinutes: number, fromMs: number, toMs: number, exceptUid?: string): number[] {
    const lengthMs = lengthMinutes * 60_000;
    const step = (et.slotIntervalMinutes ?? lengthMinutes) * 60_000;
    const earliest = this.now() + (et.minimumBookingNoticeMinutes ?? 0) * 60_000;
    const busy = this.busy(exceptUid);
    const starts = new Set<number>();
    for (const w of this.windows(et, fromMs, toMs)) {
      for (let t = w.start; t + lengthMs <= w.end; t += step) {
        if (t < fromMs || t > toMs || t < earliest) continue;
        if (busy.some((b) => b.startMs < t + lengthMs && b.endMs > t)) continue;
        starts.add(t);
      }
    }
    return [...starts].sort((a, b) => a - b);
  }

  /** Why [startMs, startMs + length) cannot be booked, or undefined when it can. */
  unavailability(
    et: SandboxEventType,
    startMs: number,
    lengthMinutes: number,
    exceptUid?: string,
  ): 'past' | 'out_of_bounds' | 'busy' | undefined {
    const endMs = startMs + lengthMinutes * 60_000;
    if (startMs < this.now()) return 'past';
    if (startMs < this.now() + (et.minimumBookingNoticeMinutes ?? 0) * 60_000) return 'out_of_bounds';
    const inside = this.windows(et, startMs, endMs).some((w) => w.start <= startMs && endMs <= w.end);
    if (!inside) return 'busy';
    if (this.busy(exceptUid).some((b) => b.startMs < endMs && b.endMs > startMs)) return 'busy';
    return undefined;
  }

  /** Stores a new accepted booking. */
  create(b: Omit<StoredBooking, 'id' | 'uid' | 'createdAt' | 'updatedAt' | 'icsUid' | 'status'>): StoredBooking {
    const now = this.now();
    const uid = newUid();
    const booking: StoredBooking = {
      ...b,
      id: this.nextId++,
      uid,
      status: 'accepted',
      createdAt: now,
      updatedAt: now,
      icsUid: `${uid}@sandbox.cal.local`,
    };
    this.bookings.push(booking);
    return booking;
  }

  /** `GET /v2/bookings`: filtered, sorted, paginated. */
  list(f: BookingFilters): { items: StoredBooking[]; total: number } {
    const now = this.now();
    const matchesStatus = (b: StoredBooking, s: string): boolean => {
      const live = b.status === 'accepted' || b.status === 'pending';
      switch (s) {
        case 'upcoming':
          return live && b.endMs >= now;
        case 'past':
          return live && b.endMs < now;
        case 'cancelled':
          return b.status === 'cancelled' || b.status === 'rejected';
        case 'unconfirmed':
          return b.status === 'pending' && b.endMs >= now;
        default:
          // `recurring`: the sandbox has no recurring bookings.
          return false;
      }
    };
    let items = this.bookings.filter((b) => {
      if (f.status && !f.status.some((s) => matchesStatus(b, s))) return false;
      if (f.attendeeEmail !== undefined) {
        const email = f.attendeeEmail.toLowerCase();
        if (!b.attendees.some((a) => a.email.toLowerCase() === email)) return false;
      }
      if (f.attendeeName !== undefined) {
        const name = f.attendeeName.toLowerCase();
        if (!b.attendees.some((a) => a.name.toLowerCase().includes(name))) return false;
      }
      if (f.bookingUid !== undefined && b.uid !== f.bookingUid) return false;
      if (f.eventTypeIds && !f.eventTypeIds.includes(b.eventTypeId)) return false;
      if (f.afterStart !== undefined && b.startMs < f.afterStart) return false;
      if (f.beforeEnd !== undefined && b.endMs > f.beforeEnd) return false;
      if (f.afterCreatedAt !== undefined && b.createdAt < f.afterCreatedAt) return false;
      if (f.beforeCreatedAt !== undefined && b.createdAt > f.beforeCreatedAt) return false;
      if (f.afterUpdatedAt !== undefined && b.updatedAt < f.afterUpdatedAt) return false;
      if (f.beforeUpdatedAt !== undefined && b.updatedAt > f.beforeUpdatedAt) return false;
      return true;
    });
    const by = (key: (b: StoredBooking) => number, dir: SortDirection) => (a: StoredBooking, b: StoredBooking) =>
      (dir === 'asc' ? 1 : -1) * (key(a) - key(b)) || a.id - b.id;
    if (f.sortStart) items.sort(by((b) => b.startMs, f.sortStart));
    else if (f.sortEnd) items.sort(by((b) => b.endMs, f.sortEnd));
    else if (f.sortCreated) items.sort(by((b) => b.createdAt, f.sortCreated));
    else if (f.sortUpdatedAt) items.sort(by((b) => b.updatedAt, f.sortUpdatedAt));
    else items.sort(by((b) => b.startMs, 'asc'));
    const total = items.length;
    items = items.slice(f.skip, f.skip + f.take);
    return { items, total };
  }

  /** A booking in the API's output shape. */
  output(b: StoredBooking): BookingOutput {
    const et = this.eventType(b.eventTypeId);
    const hostZone = et?.schedule.timeZone ?? 'UTC';
    const optional: Partial<BookingOutput> = {};
    if (b.cancellationReason !== undefined) optional.cancellationReason = b.cancellationReason;
    if (b.cancelledByEmail !== undefined) optional.cancelledByEmail = b.cancelledByEmail;
    if (b.reschedulingReason !== undefined) optional.reschedulingReason = b.reschedulingReason;
    if (b.rescheduledByEmail !== undefined) optional.rescheduledByEmail = b.rescheduledByEmail;
    if (b.rescheduledFromUid !== undefined) optional.rescheduledFromUid = b.rescheduledFromUid;
    if (b.rescheduledToUid !== undefined) optional.rescheduledToUid = b.rescheduledToUid;
    return {
      id: b.id,
      uid: b.uid,
      title: b.title,
      description: b.description,
      hosts: [{ ...SandboxHost, timeZone: hostZone }],
      status: b.status,
      ...optional,
      start: new Date(b.startMs).toISOString(),
      end: new Date(b.endMs).toISOString(),
      duration: Math.round((b.endMs - b.startMs) / 60_000),
      eventTypeId: b.eventTypeId,
      eventType: { id: b.eventTypeId, slug: et?.slug ?? '' },
      location: b.location,
      absentHost: false,
      createdAt: new Date(b.createdAt).toISOString(),
      updatedAt: new Date(b.updatedAt).toISOString(),
      metadata: { ...b.metadata },
      icsUid: b.icsUid,
      attendees: b.attendees.map((a) => ({ ...a })),
      guests: [...b.guests],
      bookingFieldsResponses: structuredClone(b.bookingFieldsResponses),
    };
  }

  /** Free slots grouped by date in `timeZone`, as `GET /v2/slots` answers. */
  slotsResponse(
    et: SandboxEventType,
    lengthMinutes: number,
    fromMs: number,
    toMs: number,
    timeZone: string,
    format: 'range' | 'time',
    exceptUid?: string,
  ): Record<string, { start: string; end?: string }[]> {
    const out: Record<string, { start: string; end?: string }[]> = {};
    for (const t of this.freeSlots(et, lengthMinutes, fromMs, toMs, exceptUid)) {
      const key = dateKey(t, timeZone);
      const slot: { start: string; end?: string } = { start: formatInZone(t, timeZone, CALCOM_SLOT) };
      if (format === 'range') slot.end = formatInZone(t + lengthMinutes * 60_000, timeZone, CALCOM_SLOT);
      let day = out[key];
      if (!day) {
        day = [];
        out[key] = day;
      }
      day.push(slot);
    }
    return out;
  }
}
