/**
 * `telephony.end_call`: say a final message (optional), then hang up.
 *
 * With a message the call is redirected to `<Response><Say>…</Say><Hangup/></Response>`;
 * without one it is ended with `Status=completed`. Hanging up is naturally idempotent, but a
 * repeated `<Say>` is not, so the effect record guards it too: a retry that finds the claim
 * `started` fetches the call — ended means done; still live means the goodbye may be playing,
 * so it waits as long as the message takes to say and then ends the call with
 * `Status=completed` (never saying the message twice). A call that ended before the request
 * (Twilio 21220 "not in progress") counts as ended.
 */
import type { ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import { type EndCallRequest, requireCallSid } from '@switchboard/operations';
import { type EffectDone, runEffectOnce, withCredentialStatus } from '@switchboard/providers';
import { currentAttempt } from './attempt.js';
import { callCredentialName, certainlyNotApplied, speechMs, type TelephonyDeps, twilioForEffect } from './shared.js';
import { FINAL_CALL_STATUSES, TWILIO, twilioErrorCode } from './twilio-client.js';
import { Twiml } from './twiml.js';

/** Result of `telephony.end_call` (the `TelephonyEndCallResult` contract, extended). */
export interface EndCallOutcome {
  [key: string]: JsonValue;
  /** `ended`: the call is over or hanging up after the final message. */
  status: 'ended';
  call_sid: string;
  /** Whether the final message was sent to be said. */
  said: boolean;
  /** The call had already ended before this request. */
  already_ended: boolean;
}

/** Performs `telephony.end_call` for one provider call. */
export async function endCall(d: TelephonyDeps, call: ProviderCall, request: EndCallRequest): Promise<EndCallOutcome> {
  const input = requireCallSid(call.operation, request);
  return runEffectOnce(d.ctx.db, call, async (claim) => {
    const twilio = await twilioForEffect(
      d,
      call.tenantId,
      () => callCredentialName(d, call.tenantId, input.credential),
      claim,
    );
    const { client } = twilio;
    const finish = (said: boolean, alreadyEnded: boolean): EffectDone<EndCallOutcome> => {
      const result: EndCallOutcome = { status: 'ended', call_sid: input.callSid, said, already_ended: alreadyEnded };
      d.ctx.log.info(
        {
          operation: call.operation,
          intentId: call.intentId,
          stepPointer: call.stepPointer,
          callSid: input.callSid,
          said,
        },
        'call ended',
      );
      return { result, ref: input.callSid };
    };

    const use = { tenantId: call.tenantId, credential: twilio.credential, provider: TWILIO };
    return withCredentialStatus(d.ctx.credentials, d.ctx.log, use, async () => {
      if (claim.earlier !== undefined) {
        let live = await client.fetchCall(input.callSid);
        if (FINAL_CALL_STATUSES.has(live.status)) return finish(input.message !== '', false);
        const attempt = currentAttempt(d.config.attemptBudgetMs);
        const wait = Math.min(speechMs(d, input.message), attempt.remaining() - 2_000);
        if (wait > 0) {
          attempt.heartbeat({ phase: 'goodbye' });
          await attempt.sleep(wait);
          live = await client.fetchCall(input.callSid);
          if (FINAL_CALL_STATUSES.has(live.status)) return finish(input.message !== '', false);
        }
        await client.updateCall(input.callSid, { status: 'completed' });
        return finish(false, false);
      }
      try {
        if (input.message !== '') {
          await client.updateCall(input.callSid, { twiml: Twiml.response(Twiml.say(input.message), Twiml.hangup()) });
        } else {
          await client.updateCall(input.callSid, { status: 'completed' });
          await claim.noteRef(input.callSid);
          return finish(false, false);
        }
      } catch (err) {
        if (twilioErrorCode(err) === 21220) return finish(false, true);
        if (certainlyNotApplied(err)) await claim.release();
        throw err;
      }
      await claim.noteRef(input.callSid);
      return finish(true, false);
    });
  });
}
