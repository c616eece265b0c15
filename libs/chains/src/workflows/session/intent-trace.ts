/** The trace of one intent: its chain span under the caller's span, and the spans of its effects. */
import type { SessionIntent } from '@switchboard/contracts/temporal';
import type { WorkflowSpan } from '../../activity-types.js';
import { childTraceparent, newSpanId, parseTraceparent, withTraceParent } from '../trace-context.js';

/**
 * The trace of one intent as the workflow keeps it: the caller's span (the orchestrator's
 * consume span), the id of the `chain <action>` span under it, and the spans of the effects,
 * all recorded by the orchestrator with the outcome (see `WorkflowSpan`).
 */
export interface IntentTrace {
  parentSpanId: string;
  chainSpanId: string;
  /** What activities and child workflows of this intent carry as their parent. */
  chainTraceparent: string;
  spans: WorkflowSpan[];
}

/** The intent's trace; `continued` is the chain span id of a parked intent's first part. */
export function intentTrace(intent: SessionIntent, continued?: string): IntentTrace | undefined {
  const parent = parseTraceparent(intent.traceparent);
  if (parent === undefined) return undefined;
  const chainSpanId = continued ?? newSpanId();
  return {
    parentSpanId: parent.spanId,
    chainSpanId,
    chainTraceparent: childTraceparent(intent.traceparent, chainSpanId) as string,
    spans: [],
  };
}

/**
 * Schedules an activity under a `StartActivity:<type>` span of the intent's trace: the activity
 * carries the span as its parent, and the span is kept for the outcome (attempts and retries
 * included, as Temporal runs them).
 */
export async function traced<T>(
  trace: IntentTrace | undefined,
  activityType: string,
  schedule: () => Promise<T>,
): Promise<T> {
  if (trace === undefined) return schedule();
  const spanId = newSpanId();
  const startMs = Date.now();
  let error: string | undefined;
  try {
    return await withTraceParent(childTraceparent(trace.chainTraceparent, spanId), schedule);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    trace.spans.push({
      name: `StartActivity:${activityType}`,
      spanId,
      parentSpanId: trace.chainSpanId,
      kind: 'client',
      startMs,
      endMs: Date.now(),
      attributes: { temporalActivityType: activityType },
      ...(error !== undefined ? { error } : {}),
    });
  }
}
