/**
 * The activities of the telephony worker, keyed by operation name: `sms.send`,
 * `telephony.transfer` and `telephony.end_call` (payloads and results as in
 * `@switchboard/actions` operations). Twilio is reached at `TWILIO_API_URL`; a call Vapi owns
 * at its Live Call Control URL (the conversation's channel decides, see `channels.ts`).
 */
import type { ProviderActivities, ProviderCall } from '@switchboard/chains';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import { type OperationSpec, smsSend, telephonyEndCall, telephonyTransfer } from '@switchboard/operations';
import {
  type ProviderWorkerContext,
  recordIrreversibleEffects,
  resultField,
  serveOperation,
} from '@switchboard/providers';
import { callRoute, requireControlUrl } from './channels.js';
import { readTelephonyConfig, type TelephonyConfig } from './config.js';
import { endCall } from './end-call.js';
import type { TelephonyDeps } from './shared.js';
import { sendSms } from './sms.js';
import { transferCall } from './transfer.js';
import { endVapiCall, transferVapiCall } from './vapi-calls.js';

/** The operations this worker serves. */
export const TelephonyOperations = {
  SmsSend: smsSend.name,
  Transfer: telephonyTransfer.name,
  EndCall: telephonyEndCall.name,
} as const;

/** Why a test call's effect of `spec` is not undone (its spec says so). */
function irreversibleBecause(spec: OperationSpec): string {
  const r = spec.traits.reversibility;
  if (r.reversible) throw new Error(`operation '${spec.name}' is reversible`);
  return r.why;
}

/**
 * Builds the telephony activities. Configuration is read from `ctx.env` (see
 * {@link TelephonyConfig}); `overrides` replace single settings (tests).
 */
export function createTelephonyActivities(
  ctx: ProviderWorkerContext,
  overrides: Partial<TelephonyConfig> = {},
): ProviderActivities {
  const deps: TelephonyDeps = { ctx, config: { ...readTelephonyConfig(ctx.env), ...overrides } };
  const logged =
    (run: (call: ProviderCall) => Promise<unknown>) =>
    async (call: ProviderCall): Promise<JsonValue> => {
      try {
        return (await run(call)) as JsonValue;
      } catch (err) {
        // Failures leave as Temporal failures; this line says which effect failed and why.
        // Messages are ours or Twilio's and never carry credentials.
        ctx.log.warn(
          {
            operation: call.operation,
            intentId: call.intentId,
            stepPointer: call.stepPointer,
            code: err instanceof SwitchboardError ? err.code : 'internal',
            retryable: err instanceof SwitchboardError ? err.retryable : true,
          },
          err instanceof Error ? err.message : String(err),
        );
        throw err;
      }
    };
  const served: ProviderActivities = {
    ...serveOperation(smsSend, async (call, input) => (await sendSms(deps, call, input)) as JsonValue),
    // Call control goes through the conversation's channel (see channels.ts).
    ...serveOperation(telephonyTransfer, async (call, input) => {
      const route = await callRoute(deps, call, 'transfer', input.callSid);
      if (route.channel === 'vapi') return await transferVapiCall(deps, call, requireControlUrl(route), input);
      return (await transferCall(deps, call, input)) as unknown as JsonValue;
    }),
    ...serveOperation(telephonyEndCall, async (call, input) => {
      const route = await callRoute(deps, call, 'end_call', input.callSid);
      if (route.channel === 'vapi') return await endVapiCall(deps, call, requireControlUrl(route), input);
      return (await endCall(deps, call, input)) as JsonValue;
    }),
  };
  // A payload refused by its parser is logged too.
  const activities: ProviderActivities = Object.fromEntries(
    Object.entries(served).map(([name, activity]) => [name, logged(activity)]),
  );
  // Nothing here can be taken back: a test call records them so its clean-up report says so.
  return recordIrreversibleEffects(ctx.db, activities, {
    [TelephonyOperations.SmsSend]: {
      provider: 'twilio',
      reason: irreversibleBecause(smsSend),
      ref: (r) => resultField(r, 'message_sid'),
      describe: (_call, r) => `SMS ${resultField(r, 'message_sid') ?? ''} sent`,
    },
    [TelephonyOperations.Transfer]: {
      provider: 'twilio',
      reason: irreversibleBecause(telephonyTransfer),
      ref: (r) => resultField(r, 'call_sid'),
      describe: (_call, r) =>
        resultField(r, 'channel') === 'vapi'
          ? `Vapi call transfer to ${resultField(r, 'destination') ?? '?'} (${resultField(r, 'status') ?? '?'})`
          : `call ${resultField(r, 'call_sid') ?? ''} transferred to ${resultField(r, 'destination') ?? '?'} (${resultField(r, 'status') ?? '?'})`,
    },
    [TelephonyOperations.EndCall]: {
      provider: 'twilio',
      reason: irreversibleBecause(telephonyEndCall),
      ref: (r) => resultField(r, 'call_sid'),
      describe: (_call, r) =>
        resultField(r, 'channel') === 'vapi' ? 'Vapi call ended' : `call ${resultField(r, 'call_sid') ?? ''} ended`,
    },
  });
}
