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
import { effectKey } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import { claimEffect, completeEffect, noteEffectRef, releaseEffect } from '@switchboard/db';
import { currentAttempt } from './attempt.js';
import { parseEndCallInput } from './inputs.js';
import {
  callCredentialName,
  certainlyNotApplied,
  speechMs,
  type TelephonyDeps,
  twilioFor,
  withCredentialStatus,
} from './shared.js';
import { FINAL_CALL_STATUSES, twilioErrorCode } from './twilio-client.js';
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
export async function endCall(d: TelephonyDeps, call: ProviderCall): Promise<EndCallOutcome> {
  const input = parseEndCallInput(call.payload);
  const key = effectKey(call);
  const db = d.ctx.db;
  const record = await claimEffect(db, call.tenantId, key, call.operation);
  if (record?.state === 'done') return record.result as EndCallOutcome;
  let twilio: Awaited<ReturnType<typeof twilioFor>>;
  try {
    twilio = await twilioFor(d, call.tenantId, await callCredentialName(d, call.tenantId, input.credential));
  } catch (err) {
    if (record === undefined) await releaseEffect(db, call.tenantId, key);
    throw err;
  }
  const { client } = twilio;
  const finish = async (said: boolean, alreadyEnded: boolean): Promise<EndCallOutcome> => {
    const result: EndCallOutcome = { status: 'ended', call_sid: input.callSid, said, already_ended: alreadyEnded };
    await completeEffect(db, call.tenantId, key, result, input.callSid);
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
    return result;
  };

  return withCredentialStatus(d, call.tenantId, twilio.credential, async () => {
    if (record?.state === 'started') {
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
        await noteEffectRef(db, call.tenantId, key, input.callSid);
        return finish(false, false);
      }
    } catch (err) {
      if (twilioErrorCode(err) === 21220) return finish(false, true);
      if (certainlyNotApplied(err)) await releaseEffect(db, call.tenantId, key);
      throw err;
    }
    await noteEffectRef(db, call.tenantId, key, input.callSid);
    return finish(true, false);
  });
}
