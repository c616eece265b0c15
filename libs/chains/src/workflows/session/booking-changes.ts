/**
 * Bookings cancelled or moved by a run (`calcom.cancel` / `calcom.reschedule`, the operations
 * whose traits say `changesBooking`): the lifecycle that follows the booking is told, so a
 * cancelled booking's reminders stop and a moved booking's reminders move with it.
 *
 * A lifecycle is named by the uid the booking had when it was made, and Cal.com gives a moved
 * booking a new uid: the change is sent to the lifecycle of every uid the booking had
 * (`booking_lineage`, nearest first, from the worker). Those that have no lifecycle (never
 * texted, or already over) answer "not found", which is expected and not reported.
 */
import type { JsonValue } from '@switchboard/common';
import {
  type BookingChange,
  bookingChangedSignal,
  bookingLifecycleWorkflowId,
  type SessionIntent,
} from '@switchboard/contracts/temporal';
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import type { EventSink } from './outcome.js';

/**
 * Patch id of following booking changes: sessions of earlier releases neither kept a change
 * for the bookings whose lifecycle had not started nor signalled the running ones.
 */
export const BOOKING_FOLLOW_PATCH = 'booking-follow-changes';

/** A change and the uids whose lifecycles may follow the booking. */
export interface FollowedChange {
  change: BookingChange;
  /** Newest first, without repeats. */
  uids: string[];
}

const asObject = (v: JsonValue | undefined): Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};

/** The change a successful cancel or reschedule made; `undefined` when its result says too little. */
export function bookingChangeOf(
  intent: SessionIntent,
  kind: BookingChange['change'],
  result: JsonValue,
): FollowedChange | undefined {
  const r = asObject(result);
  if (typeof r.booking_uid !== 'string' || typeof r.start !== 'string') return undefined;
  const uids = [r.booking_uid];
  const add = (uid: JsonValue | undefined) => {
    if (typeof uid === 'string' && uid !== '' && !uids.includes(uid)) uids.push(uid);
  };
  add(r.previous_booking_uid);
  if (Array.isArray(r.booking_lineage)) for (const uid of r.booking_lineage) add(uid);
  return {
    change: {
      change: kind,
      bookingUid: r.booking_uid,
      start: r.start,
      conversationId: intent.conversationId,
      intentId: intent.intentId,
    },
    uids,
  };
}

/** Signals each change to the lifecycles of its uids; reports (as log events) the ones told. */
export async function tellLifecycles(tenantId: string, changes: FollowedChange[], out: EventSink): Promise<void> {
  for (const { change, uids } of changes) {
    for (const uid of uids) {
      const workflowId = bookingLifecycleWorkflowId(tenantId, uid);
      try {
        await getExternalWorkflowHandle(workflowId).signal(bookingChangedSignal, change);
        out.emit({
          kind: 'log',
          data: {
            level: 'info',
            message: `booking lifecycle told: booking ${change.change}`,
            data: { workflow_id: workflowId },
          },
        });
      } catch (err) {
        // No lifecycle for that uid (never started, or over): nothing to follow.
        if (!(err instanceof Error && /not found/i.test(err.message))) {
          out.emit({
            kind: 'log',
            data: {
              level: 'warn',
              message: `booking lifecycle could not be told: ${err instanceof Error ? err.message : String(err)}`,
              data: { workflow_id: workflowId },
            },
          });
        }
      }
    }
  }
  await out.flush();
}
