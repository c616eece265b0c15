/**
 * The activities of the telephony worker, keyed by operation name: `sms.send`,
 * `telephony.transfer` and `telephony.end_call` (payloads and results as in
 * `@switchboard/actions` operations). Twilio is reached at `TWILIO_API_URL`.
 */
import { BuiltinOperations } from '@switchboard/actions';
import type { ProviderActivities, ProviderCall } from '@switchboard/chains';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import { type ProviderWorkerContext, recordIrreversibleEffects, resultField } from '@switchboard/providers';
import { readTelephonyConfig, type TelephonyConfig } from './config.js';
import { endCall } from './end-call.js';
import type { TelephonyDeps } from './shared.js';
import { sendSms } from './sms.js';
import { transferCall } from './transfer.js';

/** The operations this worker serves. */
export const TelephonyOperations = {
  SmsSend: BuiltinOperations.SmsSend,
  Transfer: BuiltinOperations.TelephonyTransfer,
  EndCall: BuiltinOperations.TelephonyEndCall,
} as const;

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
  const activities: ProviderActivities = {
    [TelephonyOperations.SmsSend]: logged((call) => sendSms(deps, call)),
    [TelephonyOperations.Transfer]: logged((call) => transferCall(deps, call)),
    [TelephonyOperations.EndCall]: logged((call) => endCall(deps, call)),
  };
  // Nothing here can be taken back: a test call records them so its clean-up report says so.
  return recordIrreversibleEffects(ctx.db, activities, {
    [TelephonyOperations.SmsSend]: {
      provider: 'twilio',
      reason: 'a sent SMS cannot be recalled',
      ref: (r) => resultField(r, 'message_sid'),
      describe: (_call, r) => `SMS ${resultField(r, 'message_sid') ?? ''} sent`,
    },
    [TelephonyOperations.Transfer]: {
      provider: 'twilio',
      reason: 'a call transfer cannot be undone',
      ref: (r) => resultField(r, 'call_sid'),
      describe: (_call, r) =>
        `call ${resultField(r, 'call_sid') ?? ''} transferred to ${resultField(r, 'destination') ?? '?'} (${resultField(r, 'status') ?? '?'})`,
    },
    [TelephonyOperations.EndCall]: {
      provider: 'twilio',
      reason: 'an ended call cannot be resumed',
      ref: (r) => resultField(r, 'call_sid'),
      describe: (_call, r) => `call ${resultField(r, 'call_sid') ?? ''} ended`,
    },
  });
}
