/**
 * The `accepted` event of a tool call, published by the conversation service the moment the
 * intent is durably on the bus, so a voice runtime following the conversation's event stream
 * (SSE or WebSocket) can speak within milliseconds of the call instead of after a Temporal round
 * trip (issue 18, goal 5).
 *
 * It is the very event the session publishes first for the intent — sequence 0, kind `accepted`,
 * data `{action}` — under the same message id (`<intent>:0`, see the orchestrator's
 * `publishOutcome`), so the stream carries it once: JetStream drops whichever of the two comes
 * second within its duplicate window, and past the window the orchestrator publishes it only as
 * the subject's first message (JetStream's expected last subject sequence 0, `publishFirstOnSubject`),
 * so a session that starts later than the window does not store it twice. Its `at` is
 * the acceptance here, a few ms before the session's own record of it (the run's event log).
 */
import { type Bus, publishDurable } from '@switchboard/bus';
import {
  ActionEventKind,
  ActionEventSchema,
  create,
  encodeEvent,
  MessageKinds,
  Headers as SbHeaders,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';

/** The intent an `accepted` event is published for. */
export interface AcceptedIntent {
  intentId: string;
  tenantId: string;
  conversationId: string;
  actionName: string;
  trace: { traceparent: string; tracestate: string };
}

/**
 * Publishes the intent's `accepted` event (sequence 0). Best effort: the session publishes it
 * anyway, so a failure here costs only the early event, never the call.
 */
export async function publishAccepted(bus: Bus, intent: AcceptedIntent): Promise<boolean> {
  const trace = { traceparent: intent.trace.traceparent, tracestate: '' };
  const event = create(ActionEventSchema, {
    intentId: intent.intentId,
    conversationId: intent.conversationId,
    tenantId: intent.tenantId,
    seq: 0,
    kind: ActionEventKind.ACCEPTED,
    data: { action: intent.actionName },
    at: timestampFromMs(Date.now()),
    trace,
  });
  try {
    await publishDurable(
      bus.js,
      Subjects.event(intent.conversationId, intent.intentId),
      encodeEvent(event),
      `${intent.intentId}:0`,
      trace,
      { [SbHeaders.Kind]: MessageKinds.Event },
    );
    return true;
  } catch {
    return false;
  }
}
