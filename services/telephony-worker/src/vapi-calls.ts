/**
 * Transfer and end call on a call Vapi owns, through its Live Call Control URL.
 *
 * A 2xx is all Vapi tells: the request was accepted. The results say exactly that (a transfer
 * is `requested`, not `connected`: Vapi reports the dialled leg's outcome to its own server
 * URL, not to the control request). Each request is an effect under the exactly-once record:
 * an answered failure (4xx, 5xx) or a connection never made changed nothing and releases the
 * claim, so a 5xx is simply retried; a timeout or a dropped connection is ambiguous. A retry
 * after an ambiguous end call sends `end-call` (hanging up twice is harmless; saying the goodbye
 * twice is not); one after an ambiguous transfer fails `call_control_unknown` rather than move
 * the caller a second time.
 */
import type { ProviderCall } from '@switchboard/chains';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import type { EndCallRequest, TransferRequest } from '@switchboard/operations';
import {
  type EffectClaim,
  ProviderError,
  runEffectOnce,
  sendVapiControl,
  type VapiControlMessage,
  vapiEndCall,
  vapiSay,
  vapiTransfer,
} from '@switchboard/providers';
import { certainlyNotApplied, type TelephonyDeps } from './shared.js';

/** Result of `telephony.transfer` on a Vapi call. */
export interface VapiTransferOutcome {
  [key: string]: JsonValue;
  /** Vapi accepted the transfer; it does not report the destination's answer to this request. */
  status: 'requested';
  channel: 'vapi';
  mode: 'cold' | 'warm';
  destination: string;
  destination_kind: 'phone' | 'sip';
}

/** Result of `telephony.end_call` on a Vapi call. */
export interface VapiEndCallOutcome {
  [key: string]: JsonValue;
  /** `ended`: Vapi hangs up now, or once it has said the final message. */
  status: 'ended';
  channel: 'vapi';
  /** Whether Vapi was asked to say the final message before hanging up. */
  said: boolean;
  already_ended: false;
}

/** Sends one control request under `claim`, releasing the claim when Vapi certainly did nothing. */
async function send(d: TelephonyDeps, claim: EffectClaim, controlUrl: string, body: VapiControlMessage): Promise<void> {
  try {
    await sendVapiControl(controlUrl, body, {
      http: d.ctx.http,
      allowedHosts: d.config.vapiControlHosts,
      timeoutMs: d.config.requestTimeoutMs,
    });
  } catch (err) {
    // Vapi answered (any status): the answer is the outcome, so a retry may send again.
    const answered = err instanceof ProviderError && err.httpStatus !== undefined;
    const refusedBeforeSending = err instanceof ProviderError && err.code === 'control_url_refused';
    if (answered || refusedBeforeSending || certainlyNotApplied(err)) await claim.release();
    throw err;
  }
  await claim.noteRef(body.type);
}

/** Performs `telephony.transfer` on a Vapi call. */
export async function transferVapiCall(
  d: TelephonyDeps,
  call: ProviderCall,
  controlUrl: string,
  input: TransferRequest,
): Promise<VapiTransferOutcome> {
  return runEffectOnce(d.ctx.db, call, async (claim) => {
    if (claim.earlier !== undefined) {
      throw new SwitchboardError(
        'call_control_unknown',
        'an earlier attempt sent this transfer to Vapi and got no answer: whether the caller was moved is unknown, so it is not sent again',
        { retryable: false },
      );
    }
    const body = vapiTransfer(input.destination, {
      content: input.message,
      ...(input.mode === 'warm' ? { whisper: input.whisper } : {}),
    });
    await send(d, claim, controlUrl, body);
    const result: VapiTransferOutcome = {
      status: 'requested',
      channel: 'vapi',
      mode: input.mode,
      destination: input.destination.address,
      destination_kind: input.destination.kind,
    };
    d.ctx.log.info(
      { operation: call.operation, intentId: call.intentId, stepPointer: call.stepPointer, channel: 'vapi' },
      'transfer requested',
    );
    return { result };
  });
}

/**
 * Performs `telephony.end_call` on a Vapi call: with a final message, `say` it with
 * `endCallAfterSpoken` (Vapi hangs up once it is said, never cutting it off); without one,
 * `end-call`.
 */
export async function endVapiCall(
  d: TelephonyDeps,
  call: ProviderCall,
  controlUrl: string,
  input: EndCallRequest,
): Promise<VapiEndCallOutcome> {
  return runEffectOnce(d.ctx.db, call, async (claim) => {
    const say = input.message !== '' && claim.earlier === undefined;
    await send(d, claim, controlUrl, say ? vapiSay(input.message, true) : vapiEndCall());
    d.ctx.log.info(
      { operation: call.operation, intentId: call.intentId, stepPointer: call.stepPointer, channel: 'vapi', said: say },
      'call ending',
    );
    return { result: { status: 'ended', channel: 'vapi', said: say, already_ended: false } };
  });
}
