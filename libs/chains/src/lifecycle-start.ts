/**
 * Starting a booking's lifecycle from outside a workflow (the orchestrator's local activity,
 * the bench). Two client calls, in this order:
 *
 * 1. signal-with-start of the SMS thread of (tenant, phone) with the lifecycle's subscription,
 *    so the subscription is in place before the lifecycle exists, let alone texts anyone;
 * 2. start of the lifecycle with `subscribed: true`, so its first workflow task sends the
 *    confirmation request at once.
 *
 * Why not a child workflow of the session, as before: a child start costs the parent two
 * history events and a workflow task of its own (for `ChildWorkflowExecutionStarted`), and the
 * lifecycle then spent another child start and workflow task on the thread. Both are gone; the
 * lifecycle has no parent (it was abandoned anyway) and finds its trace through the start
 * header the client interceptor writes.
 */
import {
  type BookingLifecycleInput,
  BookingLifecycleWorkflowType,
  bookingLifecycleWorkflowId,
  type SmsThreadInput,
  smsThreadWorkflowId,
  subscribeSmsSignal,
  WorkflowTypes,
} from '@switchboard/contracts';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';

/** What {@link startBookingLifecycleWorkflow} did. */
export interface LifecycleStart {
  workflowId: string;
  /** `already_started`: a lifecycle of this booking runs, or completed (it is not started twice). */
  status: 'started' | 'already_started';
  /** False when the thread could not be signalled: the lifecycle then subscribes itself. */
  subscribed: boolean;
}

/**
 * Subscribes the booking's lifecycle to its SMS thread, then starts it on `taskQueue` (the
 * chains task queue). Errors of the start itself propagate (a retry of the caller is safe: the
 * subscription is idempotent and the start answers `already_started`).
 */
export async function startBookingLifecycleWorkflow(
  client: Client,
  taskQueue: string,
  input: BookingLifecycleInput,
): Promise<LifecycleStart> {
  const workflowId = bookingLifecycleWorkflowId(input.tenantId, input.bookingUid);
  let subscribed = true;
  try {
    const thread: SmsThreadInput = { tenantId: input.tenantId, phone: input.phone };
    await client.workflow.signalWithStart(WorkflowTypes.SmsThread, {
      workflowId: smsThreadWorkflowId(input.tenantId, input.phone),
      taskQueue,
      args: [thread],
      signal: subscribeSmsSignal,
      signalArgs: [workflowId],
    });
  } catch {
    // The lifecycle's own subscribe (child start or signal, with retries) takes over.
    subscribed = false;
  }
  try {
    await client.workflow.start(BookingLifecycleWorkflowType, {
      workflowId,
      taskQueue,
      args: [{ ...input, subscribed }],
      // A lifecycle that completed is not started again for the same booking; one that failed
      // or was terminated may be.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
    return { workflowId, status: 'started', subscribed };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { workflowId, status: 'already_started', subscribed };
    throw err;
  }
}
