/**
 * The Cal.com worker's activities: `calcom.slots`, `calcom.book`, `calcom.get`,
 * `calcom.find_booking`, `calcom.cancel` and `calcom.reschedule`.
 *
 * Writes are exactly-once per (intent, step) although Temporal retries activities and Cal.com
 * has no idempotency header: every write first looks for its own earlier effect and returns
 * it, so a retry after a lost answer (Cal.com committed, the connection dropped) changes
 * nothing. See {@link findBookingByKey} for bookings; cancel and reschedule read the booking's
 * state, which Cal.com changes atomically with the write.
 *
 * Test calls (`call.sandbox`) record how to undo their effects (`sandbox_effects`): a booking
 * is cancelled, a reschedule is moved back to the start it had; a cancellation cannot be undone
 * (Cal.com has no un-cancel) and is recorded as irreversible.
 */
import { createHash } from 'node:crypto';
import type { CalcomBookResult, CalcomSlotsResult } from '@switchboard/actions';
import { effectKey, type ProviderActivities, type ProviderCall } from '@switchboard/chains';
import { ConfigError, EnvReader, type JsonValue } from '@switchboard/common';
import { formatInZone, parseDateTime, toUtcIso } from '@switchboard/common/time-zones';
import {
  calcomBook,
  calcomCancel,
  calcomFindBooking,
  calcomGet,
  calcomReschedule,
  calcomSlots,
} from '@switchboard/operations';
import {
  noteSandboxEffect,
  ProviderError,
  ProviderErrorCodes,
  type ProviderWorkerContext,
  serveOperation,
  withCredentialClient,
} from '@switchboard/providers';
import { bookingLineage, findBooking, isCancelled, resolveCurrent } from './booking-lookup.js';
import {
  CALCOM_DEFAULT_BASE_URL,
  CALCOM_PROVIDER,
  type CalcomBooking,
  type CalcomClient,
  createCalcomClient,
} from './calcom-client.js';
import {
  type CalcomBookingState,
  type CalcomCancelResult,
  type CalcomFindBookingResult,
  type CalcomGetResult,
  CalcomOperations,
  type CalcomRescheduleResult,
  IDEMPOTENCY_METADATA_KEY,
} from './types.js';

/** Settings of the worker, from the environment. */
export interface CalcomWorkerConfig {
  /** `CALCOM_API_URL` (default `https://api.cal.com`). */
  baseUrl: string;
  /** `CALCOM_TIMEOUT_MS`: per-request timeout (default 10 000). */
  timeoutMs: number;
}

/** Reads {@link CalcomWorkerConfig}; fails naming every bad variable. */
export function readCalcomConfig(env: NodeJS.ProcessEnv): CalcomWorkerConfig {
  const r = new EnvReader(env);
  const baseUrl = r.string('CALCOM_API_URL', CALCOM_DEFAULT_BASE_URL);
  const timeoutMs = r.int('CALCOM_TIMEOUT_MS', 10_000, 100, 120_000);
  r.done();
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError([`CALCOM_API_URL must be an http(s) URL, got '${baseUrl}'`]);
  }
  return { baseUrl, timeoutMs };
}

/** Cal.com's limit on a metadata value; longer keys are hashed to fit. */
const MAX_METADATA_VALUE = 500;

/** The booking metadata value identifying a call's effect: `effectKey(call)`, stable across retries. */
export function idempotencyKey(call: Pick<ProviderCall, 'intentId' | 'stepPointer'>): string {
  const key = effectKey(call);
  return key.length <= MAX_METADATA_VALUE ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** How far around the start the idempotency lookup searches (it matches the key exactly). */
const LOOKUP_SLACK_MS = 60_000;
/** Longest booking the lookup window covers (Cal.com event types are at most a day long here). */
const LOOKUP_MAX_LENGTH_MS = 86_400_000;
const LOOKUP_PAGE_SIZE = 100;
const LOOKUP_MAX_PAGES = 20;

/**
 * Finds the booking a step already made, by its idempotency key. Cal.com's list endpoint has
 * no metadata filter, so the candidates are narrowed with the filters the API does define —
 * the attendee's e-mail, the event type, and a window around the start (`afterStart` a minute
 * before it, `beforeEnd` a day after it, so the filters' inclusiveness cannot matter) — and
 * `metadata.switchboard_key` is matched here. A live booking wins over a cancelled one; a
 * booking since rescheduled is followed to where it moved.
 */
export async function findBookingByKey(
  client: CalcomClient,
  key: string,
  where: { attendeeEmail: string; eventTypeId: number; startMs: number },
): Promise<CalcomBooking | undefined> {
  const matches: CalcomBooking[] = [];
  for (let page = 0; page < LOOKUP_MAX_PAGES; page++) {
    const result = await client.listBookings({
      attendeeEmail: where.attendeeEmail,
      eventTypeId: where.eventTypeId,
      afterStart: toUtcIso(where.startMs - LOOKUP_SLACK_MS),
      beforeEnd: toUtcIso(where.startMs + LOOKUP_MAX_LENGTH_MS + LOOKUP_SLACK_MS),
      sortStart: 'asc',
      take: LOOKUP_PAGE_SIZE,
      skip: page * LOOKUP_PAGE_SIZE,
    });
    matches.push(...result.bookings.filter((b) => b.metadata[IDEMPOTENCY_METADATA_KEY] === key));
    if (!result.hasNextPage || result.bookings.length === 0) break;
  }
  const found = matches.find((b) => !isCancelled(b)) ?? matches.at(-1);
  return found === undefined ? undefined : resolveCurrent(client, found);
}

const instant = (text: string): number => {
  // Cal.com answers in UTC; a zone-less time is read as UTC, never in this server's zone.
  const ms = parseDateTime(text, 'UTC');
  if (ms === undefined) {
    throw new ProviderError(CALCOM_PROVIDER, ProviderErrorCodes.InvalidResponse, `calcom sent a bad time '${text}'`, {
      retryable: true,
    });
  }
  return ms;
};

/** A booking for the caller, times in `timeZone`. */
function bookingState(b: CalcomBooking, timeZone: string): CalcomBookingState {
  return {
    booking_id: b.id,
    booking_uid: b.uid,
    status: b.status,
    start: formatInZone(instant(b.start), timeZone),
    end: formatInZone(instant(b.end), timeZone),
    time_zone: timeZone,
    event_type_id: b.eventTypeId ?? null,
    cancellation_reason: b.cancellationReason ?? null,
    rescheduled_from_uid: b.rescheduledFromUid ?? null,
    rescheduled_to_uid: b.rescheduledToUid ?? null,
  };
}

/** The zone to present a booking in when the caller named none: the attendee's, as Cal.com stored it. */
const attendeeZone = (b: CalcomBooking): string => b.attendees.find((a) => a.timeZone !== '')?.timeZone ?? 'UTC';

/** The cancellation or rescheduling reason Cal.com shows for the undo of a test call. */
export const SANDBOX_UNDO_REASON = 'Switchboard test call clean-up';

const isRefusal = (err: unknown) =>
  err instanceof ProviderError &&
  (err.code === ProviderErrorCodes.Rejected || err.code === ProviderErrorCodes.Conflict);

/**
 * Builds the activities of the Cal.com worker. `CALCOM_API_URL` and `CALCOM_TIMEOUT_MS` are
 * read from `ctx.env`. Credentials are loaded per call; a 401/403 marks the credential
 * `auth_failed` (with Cal.com's reason) and fails without retry, a success marks it ok.
 */
export function createCalcomActivities(ctx: ProviderWorkerContext): ProviderActivities {
  const config = readCalcomConfig(ctx.env);

  /** Runs `fn` with a client for the tenant's credential, reporting what Cal.com thought of it. */
  const withClient = <T>(
    call: ProviderCall,
    credential: string,
    fn: (client: CalcomClient) => Promise<T>,
  ): Promise<T> => {
    const where = { operation: call.operation, intentId: call.intentId, stepPointer: call.stepPointer };
    const use = { tenantId: call.tenantId, credential, provider: CALCOM_PROVIDER, kind: 'calcom' as const, where };
    const open = (secret: Record<string, string>): { client: CalcomClient } | { refused: string } => {
      const apiKey = secret.apiKey;
      if (typeof apiKey !== 'string' || apiKey === '') return { refused: `credential '${credential}' has no apiKey` };
      return {
        client: createCalcomClient({ http: ctx.http, baseUrl: config.baseUrl, apiKey, timeoutMs: config.timeoutMs }),
      };
    };
    return withCredentialClient(ctx.credentials, ctx.log, use, open, async (client) => {
      try {
        return await fn(client);
      } catch (err) {
        if (err instanceof ProviderError && err.code !== ProviderErrorCodes.AuthFailed) {
          ctx.log.warn(
            { ...where, code: err.code, httpStatus: err.httpStatus, retryable: err.retryable, message: err.message },
            'calcom call failed',
          );
        }
        throw err;
      }
    });
  };

  return {
    ...serveOperation(calcomSlots, async (call, input) => {
      const slots = await withClient(call, input.credential, (client) =>
        client.getSlots({
          eventTypeId: input.eventTypeId,
          startDate: input.startDate,
          endDate: input.endDate,
          timeZone: input.timeZone,
          ...(input.durationMinutes !== undefined ? { durationMinutes: input.durationMinutes } : {}),
        }),
      );
      const result = {
        available: slots.length > 0,
        slots: slots.slice(0, input.maxSlots).map((s) => ({ start: s.start, end: s.end })),
        time_zone: input.timeZone,
      } satisfies CalcomSlotsResult;
      return result;
    }),

    ...serveOperation(calcomBook, async (call, input) => {
      const key = idempotencyKey(call);
      // Cal.com may store e-mails lower-cased; booking and lookup use the same form so the
      // attendee filter matches whichever way the API compares.
      const email = input.attendee.email.toLowerCase();
      const startMs = parseDateTime(input.start, input.timeZone) as number;
      const where = { attendeeEmail: email, eventTypeId: input.eventTypeId, startMs };
      const logWhere = { operation: call.operation, intentId: call.intentId, stepPointer: call.stepPointer };
      const booking = await withClient(call, input.credential, async (client) => {
        const earlier = await findBookingByKey(client, key, where);
        if (earlier) {
          ctx.log.info({ ...logWhere, bookingUid: earlier.uid }, 'calcom booking already made by this step');
          return earlier;
        }
        try {
          const created = await client.createBooking({
            eventTypeId: input.eventTypeId,
            start: input.start,
            timeZone: input.timeZone,
            attendee: {
              name: input.attendee.name,
              email,
              timeZone: input.attendee.timeZone,
              ...(input.attendee.phoneNumber !== undefined ? { phoneNumber: input.attendee.phoneNumber } : {}),
            },
            metadata: { ...input.metadata, [IDEMPOTENCY_METADATA_KEY]: key },
            ...(input.notes !== undefined ? { bookingFieldsResponses: { notes: input.notes } } : {}),
          });
          ctx.log.info({ ...logWhere, bookingUid: created.uid }, 'calcom booking created');
          return created;
        } catch (err) {
          // "Slot taken" may be our own booking, committed by an attempt still in flight
          // when this one looked: look once more before refusing.
          if (isRefusal(err)) {
            const mine = await findBookingByKey(client, key, where);
            if (mine) {
              ctx.log.info({ ...logWhere, bookingUid: mine.uid }, 'calcom booking made by a concurrent attempt');
              return mine;
            }
          }
          throw err;
        }
      });
      await noteSandboxEffect(ctx.db, call, CALCOM_PROVIDER, {
        providerRef: booking.uid,
        description: `Cal.com booking ${booking.uid} at ${booking.start}`,
        undo: {
          operation: CalcomOperations.Cancel,
          payload: { credential: input.credential, booking_uid: booking.uid, reason: SANDBOX_UNDO_REASON },
        },
      });
      const state = bookingState(booking, input.timeZone);
      const result = {
        booking_id: state.booking_id,
        booking_uid: state.booking_uid,
        status: state.status,
        start: state.start,
        end: state.end,
      } satisfies CalcomBookResult;
      return result;
    }),

    ...serveOperation(calcomGet, async (call, input) => {
      const booking = await withClient(call, input.credential, (client) => client.getBooking(input.bookingUid));
      const result: CalcomGetResult = bookingState(booking, input.timeZone ?? attendeeZone(booking));
      return result;
    }),

    ...serveOperation(calcomFindBooking, async (call, input) => {
      const booking = await withClient(call, input.credential, (client) => findBooking(client, input));
      const result: CalcomFindBookingResult = bookingState(booking, input.timeZone);
      return result;
    }),

    ...serveOperation(calcomCancel, async (call, input) => {
      const logWhere = { operation: call.operation, intentId: call.intentId, stepPointer: call.stepPointer };
      const cancelCurrent = async (client: CalcomClient): Promise<CalcomBooking> => {
        // The appointment may have moved since its uid was handed out: cancel where it is now.
        const current = await resolveCurrent(client, await client.getBooking(input.bookingUid));
        if (isCancelled(current)) {
          ctx.log.info({ ...logWhere, bookingUid: current.uid }, 'calcom booking already cancelled');
          return current;
        }
        try {
          const cancelled = await client.cancelBooking(current.uid, {
            ...(input.reason !== undefined ? { cancellationReason: input.reason } : {}),
          });
          ctx.log.info({ ...logWhere, bookingUid: cancelled.uid }, 'calcom booking cancelled');
          return cancelled;
        } catch (err) {
          if (isRefusal(err)) {
            const again = await client.getBooking(current.uid);
            if (isCancelled(again)) return again;
          }
          throw err;
        }
      };
      const { booking, lineage } = await withClient(call, input.credential, async (client) => {
        const cancelled = await cancelCurrent(client);
        return { booking: cancelled, lineage: await bookingLineage(client, cancelled) };
      });
      await noteSandboxEffect(ctx.db, call, CALCOM_PROVIDER, {
        providerRef: booking.uid,
        description: `Cal.com booking ${booking.uid} cancelled`,
        irreversible: 'Cal.com cannot un-cancel a booking (harmless when the test call made it)',
      });
      const result: CalcomCancelResult = {
        ...bookingState(booking, input.timeZone ?? attendeeZone(booking)),
        booking_lineage: lineage,
      };
      return result;
    }),

    ...serveOperation(calcomReschedule, async (call, input) => {
      const startMs = parseDateTime(input.start, input.timeZone) as number;
      const logWhere = { operation: call.operation, intentId: call.intentId, stepPointer: call.stepPointer };
      const outcome = await withClient(call, input.credential, async (client) => {
        // A retry after a lost answer finds the move already made: the old booking is
        // cancelled and points (`rescheduledToUid`) to a booking at the requested start.
        const current = await resolveCurrent(client, await client.getBooking(input.bookingUid));
        if (isCancelled(current)) {
          throw new ProviderError(
            CALCOM_PROVIDER,
            ProviderErrorCodes.Rejected,
            `calcom booking ${current.uid} is ${current.status}; a cancelled booking cannot be rescheduled`,
          );
        }
        if (instant(current.start) === startMs) {
          ctx.log.info({ ...logWhere, bookingUid: current.uid }, 'calcom booking already at the requested start');
          // Moved by an earlier attempt of this step (or nothing to move): report where from.
          const previous =
            current.uid === input.bookingUid ? current.uid : (current.rescheduledFromUid ?? input.bookingUid);
          return { booking: current, previous };
        }
        try {
          const moved = await client.rescheduleBooking(current.uid, {
            start: input.start,
            timeZone: input.timeZone,
            ...(input.reason !== undefined ? { reschedulingReason: input.reason } : {}),
          });
          ctx.log.info({ ...logWhere, bookingUid: moved.uid, previousUid: current.uid }, 'calcom booking rescheduled');
          return { booking: moved, previous: current.uid, previousStart: current.start };
        } catch (err) {
          if (isRefusal(err)) {
            const again = await resolveCurrent(client, await client.getBooking(current.uid));
            if (!isCancelled(again) && instant(again.start) === startMs)
              return { booking: again, previous: current.uid };
          }
          throw err;
        }
      });
      if (call.sandbox && outcome.previous !== outcome.booking.uid) {
        // The way back: move the new booking to where the old one was (a retry that found the
        // move already made reads that start from the old booking).
        const from =
          'previousStart' in outcome && typeof outcome.previousStart === 'string'
            ? outcome.previousStart
            : (await withClient(call, input.credential, (client) => client.getBooking(outcome.previous))).start;
        await noteSandboxEffect(ctx.db, call, CALCOM_PROVIDER, {
          providerRef: outcome.booking.uid,
          description: `Cal.com booking ${outcome.previous} moved from ${from} to ${outcome.booking.start}`,
          undo: {
            operation: CalcomOperations.Reschedule,
            payload: {
              credential: input.credential,
              booking_uid: outcome.booking.uid,
              start: toUtcIso(instant(from)),
              time_zone: 'UTC',
              reason: SANDBOX_UNDO_REASON,
            },
          },
        });
      }
      const lineage = await withClient(call, input.credential, (client) => bookingLineage(client, outcome.booking));
      const result: CalcomRescheduleResult = {
        ...bookingState(outcome.booking, input.timeZone),
        previous_booking_uid: outcome.previous,
        booking_lineage: lineage,
      };
      return result;
    }),
  } satisfies Record<string, (call: ProviderCall) => Promise<JsonValue>>;
}
