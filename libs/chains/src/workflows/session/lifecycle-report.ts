/**
 * How a session reports the start of a booking's lifecycle on the conversation's stream: one
 * `log` event per booking. Pure, so the workflow (which numbers the events) and the local
 * activity that starts the lifecycles and publishes the reports (`outcome-then-lifecycles.ts`)
 * build the same events.
 */
import { type BookingLifecycleInput, bookingLifecycleWorkflowId } from '@switchboard/contracts/temporal';
import type { PublishedEvent } from '../../activity-types.js';

/** How one lifecycle's start went: started, already running, or the error that stopped it. */
export type LifecycleStartOutcome = 'started' | 'already_started' | Error;

/** The event that reports one lifecycle's start. */
export function lifecycleStartReport(
  booking: BookingLifecycleInput,
  outcome: LifecycleStartOutcome,
): Pick<PublishedEvent, 'kind' | 'data'> {
  const workflowId = bookingLifecycleWorkflowId(booking.tenantId, booking.bookingUid);
  return {
    kind: 'log',
    data:
      outcome instanceof Error
        ? {
            level: 'error',
            message: `booking lifecycle could not start: ${outcome.message}`,
            data: { workflow_id: workflowId },
          }
        : {
            level: 'info',
            message: `booking lifecycle ${outcome === 'started' ? 'started' : 'already running'}`,
            data: { workflow_id: workflowId },
          },
  };
}

/** The outcome of each booking's start from the starter's answers (one per input, in order). */
export function startOutcomes(
  lifecycles: BookingLifecycleInput[],
  started: { status: 'started' | 'already_started' }[],
): LifecycleStartOutcome[] {
  return lifecycles.map((_, i) => started[i]?.status ?? new Error('no answer from the starter'));
}
