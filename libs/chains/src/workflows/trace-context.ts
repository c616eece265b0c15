/**
 * Trace context inside workflows, without the OpenTelemetry SDK in the sandbox.
 *
 * Why not `@temporalio/interceptors-opentelemetry`'s workflow interceptors: every workflow
 * evaluates its modules anew, so each one loaded the OpenTelemetry SDK, and its context manager
 * runs every workflow promise through AsyncLocalStorage. Profiled under load that was about half
 * of the workflow thread's busy time and most of each cached workflow's memory (README,
 * "Performance"). Here the workflow only decides span ids (deterministically, from the
 * workflow's seeded random) and puts the W3C `traceparent` into the headers of what it
 * schedules, in the header and format the OpenTelemetry activity interceptors read
 * (`_tracer-data`, a JSON payload of the carrier), so activity spans on every worker still join
 * the caller's trace. The spans the workflow itself stands for (`chain <action>`,
 * `StartActivity:<type>`) travel with the intent's outcome and are recorded by the orchestrator
 * with exactly these ids (see `WorkflowSpan`).
 *
 * Registered as a workflow interceptor module of the bundle (see `bin/bundle-workflows.mjs`).
 * Its state is per workflow: the SDK evaluates this module once per workflow run.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import {
  type ActivityInput,
  type ContinueAsNewInput,
  type LocalActivityInput,
  type Next,
  type StartChildWorkflowExecutionInput,
  uuid4,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header the OpenTelemetry interceptors of the SDK read and write. */
export const TRACE_HEADER = '_tracer-data';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Trace id and span id of a W3C `traceparent`; undefined when it is empty or malformed. */
export function parseTraceparent(traceparent: string | undefined): { traceId: string; spanId: string } | undefined {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (m === null || /^0+$/.test(m[1] as string) || /^0+$/.test(m[2] as string)) return undefined;
  return { traceId: m[1] as string, spanId: m[2] as string };
}

/** A new span id, deterministic in a workflow (the workflow's seeded random), never all zeros. */
export function newSpanId(): string {
  const id = uuid4().replaceAll('-', '').slice(0, 16);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

/** The `traceparent` of span `spanId` in the trace of `parent`; undefined without a valid parent. */
export function childTraceparent(parent: string | undefined, spanId: string): string | undefined {
  const p = parseTraceparent(parent);
  return p === undefined ? undefined : `00-${p.traceId}-${spanId}-01`;
}

/** The context this run was started under (the starter's header), kept for continue-as-new. */
let inherited: string | undefined;
/** The context outbound calls carry now; falls back to {@link inherited}. */
let current: string | undefined;

/**
 * Runs `fn` (which must schedule synchronously, as activity proxies and `startChild` do) with
 * `traceparent` as the parent of what it schedules, then restores the previous parent.
 */
export function withTraceParent<T>(traceparent: string | undefined, fn: () => T): T {
  const previous = current;
  current = traceparent;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** Sets the parent of everything scheduled from now on (e.g. for the duration of one intent). */
export function setTraceParent(traceparent: string | undefined): void {
  current = traceparent;
}

function headerValue(headers: WorkflowExecuteInput['headers']): string | undefined {
  const payload = headers[TRACE_HEADER];
  if (payload === undefined) return undefined;
  try {
    const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: unknown }>(payload);
    return typeof carrier?.traceparent === 'string' && parseTraceparent(carrier.traceparent) !== undefined
      ? carrier.traceparent
      : undefined;
  } catch {
    // A header someone else wrote in another format is not ours to fail on.
    return undefined;
  }
}

function withHeader<H extends WorkflowExecuteInput['headers']>(headers: H, traceparent: string | undefined): H {
  if (traceparent === undefined || headers[TRACE_HEADER] !== undefined) return headers;
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) };
}

class TraceInbound implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    inherited = headerValue(input.headers);
    return next(input);
  }
}

class TraceOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next({ ...input, headers: withHeader(input.headers, current ?? inherited) });
  }
  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    return next({ ...input, headers: withHeader(input.headers, current ?? inherited) });
  }
  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ) {
    return next({ ...input, headers: withHeader(input.headers, current ?? inherited) });
  }
  continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) {
    // The next run continues under the context this run was started with, not the last intent's.
    return next({ ...input, headers: withHeader(input.headers, inherited) });
  }
}

/** The interceptors this module contributes to every workflow of the bundle. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new TraceInbound()],
  outbound: [new TraceOutbound()],
});
