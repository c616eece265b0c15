/**
 * Where a call-control operation goes: the conversation's call-control channel. Twilio calls
 * take the Twilio path (`transfer.ts`, `end-call.ts`), Vapi calls their Live Call Control URL
 * (`vapi-calls.ts`); a channel that cannot carry the step out refuses it here too (the session
 * workflow refuses first, this is the same table where the call is controlled).
 */
import type { ProviderCall } from '@switchboard/chains';
import { type CallChannel, defaultCallChannel, SwitchboardError } from '@switchboard/common';
import { findConversation } from '@switchboard/db';
import { type CallControlAction, callControlRefusal } from '@switchboard/operations';
import type { TelephonyDeps } from './shared.js';

/** The channel of a call-control operation, and the Vapi control URL when there is one. */
export interface CallRoute {
  channel: CallChannel;
  controlUrl?: string;
}

/**
 * The route of `call`'s conversation. A conversation this worker cannot find (deleted, or a
 * caller that runs operations without one) is routed as a new conversation with the payload's
 * call would be: Twilio when there is a call sid, else none.
 */
export async function callRoute(
  d: TelephonyDeps,
  call: ProviderCall,
  action: CallControlAction,
  callSid: string | undefined,
): Promise<CallRoute> {
  const conversation = await findConversation(d.ctx.db, call.tenantId, call.conversationId);
  const route: CallRoute = conversation
    ? {
        channel: conversation.channel,
        ...(conversation.controlUrl !== undefined ? { controlUrl: conversation.controlUrl } : {}),
      }
    : { channel: defaultCallChannel({ sid: callSid }) };
  const refusal = callControlRefusal(route.channel, action);
  if (refusal !== undefined) throw refusal;
  return route;
}

/** The Vapi control URL of a route; a Vapi call without one cannot be controlled. */
export function requireControlUrl(route: CallRoute): string {
  if (route.controlUrl !== undefined) return route.controlUrl;
  throw new SwitchboardError(
    'control_url_missing',
    "Vapi sent no control URL for this call (message.call.monitor.controlUrl): enable the assistant's monitorPlan.controlEnabled so Switchboard can transfer and end its calls",
    { retryable: false },
  );
}
