import { type Bus, publishDurable } from '@switchboard/bus';
import {
  type ControlKind,
  ConversationControlSchema,
  create,
  encodeControl,
  MessageKinds,
  Headers as SbHeaders,
  Streams,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import { currentTraceHeaders, SpanKind, type Tracer, withSpan } from '@switchboard/telemetry';

/** A control message to publish (see `ConversationControl` in proto/). */
export interface ControlMessage {
  /** Unique, and stable for a retried request: it is the JetStream message id. */
  controlId: string;
  tenantId: string;
  conversationId: string;
  /** The tool call it concerns; absent for conversation-wide controls (compensate). */
  intentId?: string;
  kind: ControlKind;
}

/**
 * Publishes a control on the conversation's intent subject (`Sb-Kind: control`), so it shares
 * the conversation's lane and can never overtake an intent published before it.
 */
export async function publishControl(deps: { bus: Bus; tracer: Tracer }, message: ControlMessage): Promise<void> {
  await withSpan(
    deps.tracer,
    `publish ${Streams.Intents}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'switchboard.control_id': message.controlId,
        ...(message.intentId ? { 'switchboard.intent_id': message.intentId } : {}),
      },
    },
    async () => {
      const trace = currentTraceHeaders();
      const control = create(ConversationControlSchema, {
        ...message,
        intentId: message.intentId ?? '',
        createdAt: timestampFromMs(Date.now()),
        trace,
      });
      await publishDurable(
        deps.bus.js,
        Subjects.intent(message.tenantId, message.conversationId),
        encodeControl(control),
        message.controlId,
        trace,
        { [SbHeaders.Tenant]: message.tenantId, [SbHeaders.Kind]: MessageKinds.Control },
      );
    },
  );
}
