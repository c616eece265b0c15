/**
 * `sms.send`, exactly once.
 *
 * Twilio has no idempotency key for `POST Messages.json`, so the effect record
 * (`effect_records`, key `<intent>:<step>`) decides:
 *
 * The effect record's protocol (`runEffectOnce` of `@switchboard/providers`) runs it:
 *
 * 1. Claim before sending. `done` → return the recorded result (a repeated tool call, or
 *    a retry after a crash between completing and answering).
 * 2. `started` with a message SID → an earlier attempt sent it: fetch that message and finish.
 * 3. `started` without a SID → an earlier attempt may have sent it and lost the answer. Look at
 *    Twilio first: the newest 50 messages to the same `To` (and from the same `From`), and take
 *    the oldest one that is outbound, has exactly the same body and sender (number or
 *    Messaging Service), was created no earlier than the claim minus `TELEPHONY_CLOCK_SLACK_MS`
 *    (the clocks of Postgres and Twilio differ), and is not the recorded message of another
 *    effect. Found → adopt it; not found → send. (Twilio's message resource does not echo
 *    `StatusCallback`, so a callback marker cannot be matched; the body, sender, recipient and
 *    time window are what can.)
 * 4. Send, then complete: the completion records the SID in the same round trip, the first
 *    moment it can be written (nothing that can fail lies between the answer and it).
 * 5. Release the claim only when the send certainly did not reach Twilio (see
 *    `certainlyNotApplied`); otherwise the claim stays and step 3 runs on the retry.
 *
 * The residual risk is the usual one of look-before-retry: an identical text to the same number
 * sent by someone else in the same minute, while this attempt's own send was lost before
 * reaching Twilio, is taken for ours (one message delivered instead of two identical ones).
 */
import type { ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import { isEffectRefTakenElsewhere } from '@switchboard/db';
import type { SmsRequest } from '@switchboard/operations';
import { runEffectOnce, withCredentialStatus } from '@switchboard/providers';
import { certainlyNotApplied, claimedAt, type TelephonyDeps, twilioForEffect, twilioTime } from './shared.js';
import { TWILIO, type TwilioClient, type TwilioMessage } from './twilio-client.js';

/** Result of `sms.send` (the `SmsSendResult` contract). */
export interface SmsSendOutcome {
  [key: string]: JsonValue;
  message_sid: string;
  status: string;
}

/** Performs `sms.send` for one provider call. */
export async function sendSms(d: TelephonyDeps, call: ProviderCall, input: SmsRequest): Promise<SmsSendOutcome> {
  return runEffectOnce(d.ctx.db, call, async (claim) => {
    const twilio = await twilioForEffect(d, call.tenantId, () => input.credential, claim);
    const { client, credential } = twilio;
    const use = { tenantId: call.tenantId, credential, provider: TWILIO };
    return withCredentialStatus(d.ctx.credentials, d.ctx.log, use, async () => {
      let message: TwilioMessage | undefined;
      const earlier = claim.earlier;
      if (earlier !== undefined) {
        if (earlier.providerRef !== null) message = await client.fetchMessage(earlier.providerRef);
        else message = await findEarlierSend(d, client, call, claim.key, input);
        if (message !== undefined) {
          d.ctx.log.info(
            {
              operation: call.operation,
              intentId: call.intentId,
              stepPointer: call.stepPointer,
              messageSid: message.sid,
            },
            'sms already sent by an earlier attempt',
          );
        }
      }
      if (message === undefined) {
        try {
          message = await client.sendMessage({
            to: input.to,
            ...(input.from !== undefined ? { from: input.from } : {}),
            ...(input.messagingServiceSid !== undefined ? { messagingServiceSid: input.messagingServiceSid } : {}),
            body: input.body,
            ...(d.config.smsStatusCallbackUrl !== undefined ? { statusCallback: d.config.smsStatusCallbackUrl } : {}),
          });
        } catch (err) {
          if (certainlyNotApplied(err)) await claim.release();
          throw err;
        }
        // No separate noteRef: the completion right after records the SID (one round trip less).
        d.ctx.log.info(
          {
            operation: call.operation,
            intentId: call.intentId,
            stepPointer: call.stepPointer,
            messageSid: message.sid,
            status: message.status,
            bodyLength: input.body.length,
          },
          'sms sent',
        );
      }
      const result: SmsSendOutcome = { message_sid: message.sid, status: message.status };
      return { result, ref: message.sid };
    });
  });
}

async function findEarlierSend(
  d: TelephonyDeps,
  client: TwilioClient,
  call: ProviderCall,
  key: string,
  input: SmsRequest,
): Promise<TwilioMessage | undefined> {
  const since = (await claimedAt(d.ctx.db, call.tenantId, key)) - d.config.clockSlackMs;
  const recent = await client.listMessages({
    to: input.to,
    ...(input.from !== undefined ? { from: input.from } : {}),
    pageSize: 50,
  });
  const candidates = recent
    .filter((m) => m.direction.startsWith('outbound') && m.to === input.to && m.body === input.body)
    .filter((m) =>
      input.from !== undefined ? m.from === input.from : m.messaging_service_sid === input.messagingServiceSid,
    )
    .filter((m) => twilioTime(m.date_created) >= since)
    // Oldest first: the first send of this effect is the one to keep.
    .sort((a, b) => twilioTime(a.date_created) - twilioTime(b.date_created));
  for (const m of candidates) {
    if (!(await isEffectRefTakenElsewhere(d.ctx.db, call.tenantId, key, m.sid))) return m;
  }
  return undefined;
}
