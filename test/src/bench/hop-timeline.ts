/**
 * The points of a tool call's path (hops.ts) that other processes wrote down: the session
 * workflow's history (Temporal's event times; the local-activity markers' schedule time and
 * runtime as the SDK recorded them) and the conversation service's `Server-Timing` stages.
 * Pure: histories and headers in, points out.
 */
import proto from '@temporalio/proto';
import type { CallTimeline } from './hops.js';

type History = proto.temporal.api.history.v1.IHistory;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

const E = proto.temporal.api.enums.v1.EventType;
const {
  EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: WORKFLOW_TASK_SCHEDULED,
  EVENT_TYPE_WORKFLOW_TASK_STARTED: WORKFLOW_TASK_STARTED,
  EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: ACTIVITY_TASK_SCHEDULED,
  EVENT_TYPE_ACTIVITY_TASK_STARTED: ACTIVITY_TASK_STARTED,
  EVENT_TYPE_ACTIVITY_TASK_COMPLETED: ACTIVITY_TASK_COMPLETED,
  EVENT_TYPE_MARKER_RECORDED: MARKER_RECORDED,
  EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: WORKFLOW_EXECUTION_SIGNALED,
} = E;
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** A protobuf timestamp (seconds may be a Long) as fractional wall-clock ms. */
export function timestampMs(ts: Timestamp): number | undefined {
  if (!ts) return undefined;
  return Number(String(ts.seconds ?? 0)) * 1000 + (ts.nanos ?? 0) / 1e6;
}

/** An RFC 3339 time with up to nanoseconds (JetStream's) as fractional ms. */
export function isoMs(iso: string): number | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  return Number.isFinite(whole) ? whole + Number(`0${m[2] ?? ''}`) * 1000 : undefined;
}

const json = (data: Uint8Array | null | undefined): Record<string, unknown> | undefined => {
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** A signalled intent's points in the session, with what its signal carried. */
export interface SignalledIntent {
  timeline: CallTimeline;
  /** The intent's `createdAtMs` (Switchboard's intents; ms, truncated). */
  createdAtMs?: number;
}

/**
 * Where the local activity of a marker ran: scheduled (the SDK's wall clock when it took the
 * command, after the activation) and done (scheduled + the runtime it measured from handing the
 * activity to the worker; the marker's `complete_time` is workflow time, the task's start, plus
 * that runtime).
 */
function localActivity(
  event: proto.temporal.api.history.v1.IHistoryEvent,
  workflowTime: number | undefined,
): { scheduled: number; done: number } | undefined {
  const attrs = event.markerRecordedEventAttributes;
  if (attrs?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = json(attrs.details?.data?.payloads?.[0]?.data);
  const scheduled = timestampMs(data?.original_schedule_time as Timestamp);
  const complete = timestampMs(data?.complete_time as Timestamp);
  if (scheduled === undefined || complete === undefined || workflowTime === undefined) return undefined;
  return { scheduled, done: scheduled + (complete - workflowTime) };
}

type Step =
  | 'task'
  | 'firstLocal'
  | 'effect'
  | 'effectStarted'
  | 'effectCompleted'
  | 'outcomeTask'
  | 'outcomeLocal'
  | 'done';

/**
 * The points of every intent signalled to a session (`signalName`), by intent id (the signal's
 * `intentId`, else `id`): the signal, the workflow task that saw it, its first local activity,
 * the effect activity, the task that saw its completion and the outcome's local activity — the
 * path a tool call of one effect takes. Intents whose path differs get fewer points.
 */
export function signalledIntents(history: History, signalName: string): Map<string, SignalledIntent> {
  const intents = new Map<string, SignalledIntent>();
  let current: { tl: CallTimeline; step: Step } | undefined;
  /** Workflow time: the last workflow task's start (what a local activity's `complete_time` adds to). */
  let taskStarted: number | undefined;
  for (const event of history.events ?? []) {
    const t = timestampMs(event.eventTime);
    const type = event.eventType;
    if (type === WORKFLOW_TASK_STARTED) taskStarted = t;
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (type === WORKFLOW_EXECUTION_SIGNALED && signal?.signalName === signalName) {
      const payload = json(signal.input?.payloads?.[0]?.data);
      const id = payload?.intentId ?? payload?.id;
      if (typeof id !== 'string') continue;
      const tl: CallTimeline = { signaled: t };
      const createdAtMs = typeof payload?.createdAtMs === 'number' ? payload.createdAtMs : undefined;
      intents.set(id, { timeline: tl, ...(createdAtMs === undefined ? {} : { createdAtMs }) });
      current = { tl, step: 'task' };
      continue;
    }
    if (current === undefined || t === undefined) continue;
    const { tl } = current;
    switch (current.step) {
      case 'task':
        if (type === WORKFLOW_TASK_SCHEDULED) tl.taskScheduled = t;
        else if (type === WORKFLOW_TASK_STARTED) {
          // A task already scheduled, not yet started, takes the signal along.
          tl.taskScheduled ??= tl.signaled;
          tl.taskStarted = t;
          current.step = 'firstLocal';
        }
        break;
      case 'firstLocal': {
        const la = type === MARKER_RECORDED ? localActivity(event, taskStarted) : undefined;
        if (la) {
          tl.firstLocalScheduled = la.scheduled;
          tl.firstLocalDone = la.done;
          current.step = 'effect';
        }
        break;
      }
      case 'effect':
        if (type === ACTIVITY_TASK_SCHEDULED) {
          tl.effectScheduled = t;
          current.step = 'effectStarted';
        }
        break;
      case 'effectStarted':
        if (type === ACTIVITY_TASK_STARTED) {
          tl.effectStarted = t;
          current.step = 'effectCompleted';
        }
        break;
      case 'effectCompleted':
        if (type === ACTIVITY_TASK_COMPLETED) {
          tl.effectCompleted = t;
          current.step = 'outcomeTask';
        }
        break;
      case 'outcomeTask':
        if (type === WORKFLOW_TASK_STARTED) {
          tl.outcomeTaskStarted = t;
          current.step = 'outcomeLocal';
        }
        break;
      case 'outcomeLocal': {
        const la = type === MARKER_RECORDED ? localActivity(event, taskStarted) : undefined;
        if (la) {
          tl.outcomeLocalScheduled = la.scheduled;
          current.step = 'done';
        }
        break;
      }
      case 'done':
        break;
    }
  }
  return intents;
}

/** A `Server-Timing` header's entries in order (`<name>;dur=<ms>`). */
export function serverTimingStages(header: string | null | undefined): [string, number][] {
  const stages: [string, number][] = [];
  for (const entry of (header ?? '').split(',')) {
    const m = /^\s*([^;,\s]+);dur=([\d.]+)/.exec(entry);
    if (m) stages.push([m[1] as string, Number(m[2])]);
  }
  return stages;
}

/**
 * The conversation service's points of a tool call, anchored on its intent's `createdAt` (set
 * between the `status` and `encode` marks; ms, so +0.5 on average): `service` = the stages
 * before `encode` earlier (from `onRequest`), `created`, and `stored` = after `encode`,
 * `insert` and `intent-ack` (the intent's PubAck). Empty when the stages are not those.
 */
export function servicePoints(header: string | null | undefined, createdAtMs: number): CallTimeline {
  const stages = serverTimingStages(header).filter(([name]) => !name.startsWith('loop-'));
  const encode = stages.findIndex(([name]) => name === 'encode');
  const ack = stages.findIndex(([name]) => name === 'intent-ack');
  if (encode < 0 || ack < encode) return {};
  const sum = (from: number, to: number) => stages.slice(from, to).reduce((s, [, ms]) => s + ms, 0);
  const created = createdAtMs + 0.5;
  return { service: created - sum(0, encode), created, stored: created + sum(encode, ack + 1) };
}
