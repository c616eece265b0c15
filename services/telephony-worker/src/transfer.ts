/**
 * `telephony.transfer`: move a live call to a phone number or SIP address, exactly once.
 *
 * **Cold.** The call is redirected with
 * `<Response><Say>message</Say><Dial timeout="…"><Number|Sip>…</…></Dial><Redirect>resume</Redirect></Response>`
 * (the `<Redirect>` to `TWILIO_RESUME_URL` only when it is set). Then the `<Dial>` leg (the
 * caller's child call, `Calls.json?ParentCallSid=`) is polled until the destination answers
 * (`connected`) or the dial ends without an answer: its final status is Twilio's
 * `DialCallStatus` (`busy`, `no-answer`, `failed`). Twilio itself then runs the verb after
 * `<Dial>`, so the caller goes back to the voice agent with no race; the result's `caller` says
 * where they are (`resumed`, or `gone` / `elsewhere`). The progress (`cold:{json}`) is kept in
 * the effect's provider reference, so a next attempt keeps watching. A retry that finds the
 * claim `started` without a reference looks for a child leg created since the claim: one means
 * the redirect landed. Without one, and with the call still live, it waits as long as the
 * message takes to say, looks once more, and only then redirects again — at worst the caller
 * hears the message twice; never are two destinations rung. Because the verb after `<Dial>` runs
 * however the dial ends, a caller whose answered transfer ends while they are still on the line
 * also goes back to the agent.
 *
 * **Warm.** Resumable steps, each recorded in the effect's provider reference
 * (`warm:{json}`) before the next one starts, so a retried attempt — or the next attempt after
 * this one ran out of time — continues where the last one stopped instead of starting over:
 *
 * 1. `move` — redirect the caller into a conference named after the effect key
 *    (`<Say>message</Say><Dial><Conference beep="false" endConferenceOnExit="true">`).
 * 2. `hold` — wait for the caller to join, then hold them with the hold music (`HoldUrl`).
 * 3. `dial` — add the destination as a participant (`Label=switchboard-transfer`,
 *    `Timeout`=ring timeout, no beep, no early media). A retry first looks for it by label,
 *    then (phone numbers) among calls to that number since the claim.
 * 4. `ring` — poll the participant (and, once it is gone, its call) with backoff and
 *    heartbeats until it answers, is busy, does not answer or fails; bounded by the ring
 *    timeout plus a grace period, and by the attempt's deadline (then `telephony_transfer_pending`,
 *    retryable, and the next attempt resumes polling).
 * 5. `whisper` — announce the whisper to the person who answered (`AnnounceUrl`), wait as long
 *    as it takes to say, then unhold the caller (bridged) and let the conference end when the
 *    person hangs up (`EndConferenceOnExit=true`). Outcome `connected`.
 * 6. `recover` — any other outcome (`busy`, `no-answer`, `failed`): stop the destination leg,
 *    then bring the caller back: redirect to `TWILIO_RESUME_URL` (the voice agent) when set,
 *    else take them off hold. The outcome is the result's `status` so the chain can fall back.
 *
 * **A caller who hangs up** ends the conference (they joined it with `endConferenceOnExit`),
 * which cancels a destination still ringing or drops one hearing the whisper. Whatever step
 * notices it — the move (the call is over), waiting for the caller, ringing, the whisper, or a
 * step Twilio refuses because the conference is gone — the outcome is `failed` with
 * `caller: 'gone'` and says so, never the destination's `no-answer` or hang-up it caused.
 */
import { createHash } from 'node:crypto';
import type { ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import type { EffectRecord } from '@switchboard/db';
import { requireCallSid, type TransferRequest } from '@switchboard/operations';
import {
  type EffectClaim,
  ProviderError,
  ProviderErrorCodes,
  runEffectOnce,
  withCredentialStatus,
} from '@switchboard/providers';
import { type Attempt, currentAttempt } from './attempt.js';
import {
  callCredentialName,
  certainlyNotApplied,
  claimedAt,
  speechMs,
  type TelephonyDeps,
  twilioForEffect,
  twilioTime,
} from './shared.js';
import { FINAL_CALL_STATUSES, TWILIO, type TwilioClient, twilioErrorCode } from './twilio-client.js';
import { Twiml } from './twiml.js';

/** A transfer of a Twilio call: its sid is known. */
type TwilioTransferRequest = TransferRequest & { callSid: string };

/** Outcomes a transfer reports in `status`. */
export const TransferStatuses = {
  /** Cold, recorded before cold transfers were watched: Twilio accepted the redirect. */
  Initiated: 'initiated',
  /** The destination answered (warm: heard the whisper) and was bridged with the caller. */
  Connected: 'connected',
  Busy: 'busy',
  NoAnswer: 'no-answer',
  Failed: 'failed',
} as const;
/** One of {@link TransferStatuses}. */
export type TransferStatus = (typeof TransferStatuses)[keyof typeof TransferStatuses];

/** Where the caller is after a warm transfer. */
export const CallerStates = {
  /** In the conference with the destination. */
  Bridged: 'bridged',
  /** Redirected to `TWILIO_RESUME_URL` (back to the voice agent). */
  Resumed: 'resumed',
  /** Taken off hold, alone in the conference (no `TWILIO_RESUME_URL`): the voice runtime must act. */
  InConference: 'in_conference',
  /**
   * Still on the line but not in the transfer conference (they had not reached it in time, or
   * something else moved the call), and no `TWILIO_RESUME_URL`: the voice runtime must act.
   */
  Elsewhere: 'elsewhere',
  /** The caller hung up. */
  Gone: 'gone',
} as const;
/** One of {@link CallerStates}. */
export type CallerState = (typeof CallerStates)[keyof typeof CallerStates];

/** Result of `telephony.transfer` (the `TelephonyTransferResult` contract, extended). */
export interface TransferOutcome {
  [key: string]: JsonValue | undefined;
  status: TransferStatus;
  mode: 'cold' | 'warm';
  call_sid: string;
  destination: string;
  destination_kind: 'phone' | 'sip';
  /** The destination's call leg. */
  destination_call_sid?: string;
  /** Warm: the conference that holds the caller. */
  conference_sid?: string;
  /** Where the caller is now. */
  caller?: CallerState;
  /** Why the transfer did not connect, in words. */
  detail?: string;
}

/** Label of the destination participant (also how a retry finds it). */
export const TRANSFER_LABEL = 'switchboard-transfer';
/** Ringing longer than the ring timeout by this much counts as no answer (Twilio stops at `Timeout`). */
const RING_GRACE_MS = 10_000;
/** Longest wait for a whisper to be said before bridging. */
const MAX_WHISPER_MS = 20_000;
/** Longest whisper (it travels in a URL). */
const MAX_WHISPER_CHARS = 1000;
const REF_PREFIX = 'warm:';

/** Why a warm transfer ended `failed` because of the caller. */
const CallerHungUp = {
  BeforeTransfer: 'the caller hung up before the transfer',
  WhileRinging: 'the caller hung up while the destination was ringing',
  BeforeConnected: 'the caller hung up before being connected',
} as const;

/** Progress of a warm transfer, kept in the effect record between attempts. */
interface WarmState {
  room: string;
  phase: 'move' | 'hold' | 'dial' | 'ring' | 'whisper' | 'recover';
  joinDeadline?: number;
  conf?: string;
  from?: string;
  dest?: string;
  ringDeadline?: number;
  whisperUntil?: number;
  outcome?: 'busy' | 'no-answer' | 'failed';
  detail?: string;
  callerGone?: boolean;
}

interface Run {
  d: TelephonyDeps;
  call: ProviderCall;
  key: string;
  input: TwilioTransferRequest;
  client: TwilioClient;
  /** The effect record's claim (its earlier attempt's record, its reference, its release). */
  claim: EffectClaim;
  /** The earlier attempt's `started` record; undefined when this attempt made the claim. */
  record: EffectRecord | undefined;
  attempt: Attempt;
  /** The provider reference the effect completes with (set by {@link complete}). */
  ref?: string | undefined;
}

/** Performs `telephony.transfer` for one provider call. */
export async function transferCall(
  d: TelephonyDeps,
  call: ProviderCall,
  request: TransferRequest,
): Promise<TransferOutcome> {
  const input = requireCallSid(call.operation, request);
  const outcome = await runEffectOnce<JsonValue>(d.ctx.db, call, async (claim) => {
    const twilio = await twilioForEffect(
      d,
      call.tenantId,
      () => callCredentialName(d, call.tenantId, input.credential),
      claim,
    );
    const run: Run = {
      d,
      call,
      key: claim.key,
      input,
      client: twilio.client,
      claim,
      record: claim.earlier,
      attempt: currentAttempt(d.config.attemptBudgetMs),
    };
    const use = { tenantId: call.tenantId, credential: twilio.credential, provider: TWILIO };
    const result = await withCredentialStatus(d.ctx.credentials, d.ctx.log, use, () =>
      input.mode === 'cold' ? coldTransfer(run) : warmTransfer(run),
    );
    return { result: result as unknown as JsonValue, ref: run.ref };
  });
  return outcome as unknown as TransferOutcome;
}

function baseOutcome(input: TwilioTransferRequest, status: TransferStatus): TransferOutcome {
  return {
    status,
    mode: input.mode,
    call_sid: input.callSid,
    destination: input.destination.address,
    destination_kind: input.destination.kind,
  };
}

/** The transfer's outcome, as the effect record completes with it (with `ref`). */
async function complete(r: Run, result: TransferOutcome, ref?: string): Promise<TransferOutcome> {
  const clean = JSON.parse(JSON.stringify(result)) as TransferOutcome;
  r.ref = ref;
  r.d.ctx.log.info(
    {
      operation: r.call.operation,
      intentId: r.call.intentId,
      stepPointer: r.call.stepPointer,
      callSid: r.input.callSid,
      mode: r.input.mode,
      status: clean.status,
      destinationKind: r.input.destination.kind,
    },
    'transfer finished',
  );
  return clean;
}

/** A call update refused because the call is over (Twilio 21220) is final, not a rejected request. */
function callGoneError(err: unknown, callSid: string): unknown {
  if (twilioErrorCode(err) !== 21220) return err;
  return new ProviderError(
    TWILIO,
    ProviderErrorCodes.Conflict,
    `call ${callSid} is no longer in progress, so it cannot be transferred (${(err as Error).message})`,
    {
      retryable: false,
      ...(err instanceof ProviderError && err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
    },
  );
}

function isNotFound(err: unknown): boolean {
  return err instanceof ProviderError && err.code === ProviderErrorCodes.NotFound;
}

// ------------------------------------------------------------------------------------ cold

async function coldTransfer(r: Run): Promise<TransferOutcome> {
  const { d, input, client } = r;
  const resumed = r.record?.state === 'started';
  const ref = r.record?.providerRef ?? null;
  // A record from before cold transfers were watched: its reference is the bare call SID.
  if (resumed && ref === input.callSid) return complete(r, baseOutcome(input, TransferStatuses.Initiated), ref);
  let s = parseCold(ref);
  if (s === undefined) {
    const since = resumed ? (await claimedAt(d.ctx.db, r.call.tenantId, r.key)) - d.config.clockSlackMs : Date.now();
    let known: string[] = [];
    if (!(resumed && (await coldRedirectLanded(r)))) {
      // Legs of earlier dials on this call (an earlier transfer) are not this transfer's.
      known = (await client.listCalls({ parentCallSid: input.callSid, pageSize: 50 })).map((l) => l.sid);
      // After the <Dial> ends unanswered Twilio runs the next verb: back to the agent, no race.
      const back = d.config.resumeUrl !== undefined ? Twiml.redirect(d.config.resumeUrl) : undefined;
      const twiml = Twiml.response(
        input.message !== '' ? Twiml.say(input.message) : undefined,
        Twiml.dial(input.destination, { timeout: input.ringTimeoutSeconds }),
        back,
      );
      try {
        await client.updateCall(input.callSid, { twiml });
      } catch (err) {
        if (certainlyNotApplied(err)) await r.claim.releaseIfFresh();
        throw callGoneError(err, input.callSid);
      }
    }
    s = {
      since: Math.min(since, Date.now() - d.config.clockSlackMs),
      ...(known.length > 0 ? { known } : {}),
      deadline: Date.now() + speechMs(d, input.message) + input.ringTimeoutSeconds * 1000 + RING_GRACE_MS,
    };
    await r.claim.noteRef(COLD_PREFIX + JSON.stringify(s));
  }
  const state = await watchColdLeg(r, s);
  if (state === 'answered') {
    return complete(
      r,
      {
        ...baseOutcome(input, TransferStatuses.Connected),
        caller: CallerStates.Bridged,
        ...(s.dest !== undefined ? { destination_call_sid: s.dest } : {}),
      },
      COLD_PREFIX + JSON.stringify(s),
    );
  }
  return complete(r, {
    ...baseOutcome(input, state.outcome),
    caller: await coldCallerState(r, state.callerGone === true),
    ...(s.dest !== undefined ? { destination_call_sid: s.dest } : {}),
    detail: state.detail,
  });
}

/** Progress of a cold transfer, kept in the effect record between attempts. */
interface ColdState {
  /** Legs created before this (ms) belong to something else. */
  since: number;
  /** Past this the destination counts as not answering (message + ring timeout + grace). */
  deadline: number;
  /** Child legs the call had before the redirect. */
  known?: string[];
  /** The `<Dial>` leg, once seen. */
  dest?: string;
}

const COLD_PREFIX = 'cold:';

function parseCold(ref: string | null): ColdState | undefined {
  if (ref === null || !ref.startsWith(COLD_PREFIX)) return undefined;
  try {
    return JSON.parse(ref.slice(COLD_PREFIX.length)) as ColdState;
  } catch {
    return undefined;
  }
}

/**
 * Polls the `<Dial>` leg (a child of the caller's call) until the destination answers or the
 * dial ends without an answer; the leg's final status is Twilio's `DialCallStatus`.
 */
async function watchColdLeg(r: Run, s: ColdState): Promise<RingResult> {
  const { client, input } = r;
  let delay = 150;
  for (;;) {
    if (s.dest === undefined) {
      const legs = await client.listCalls({ parentCallSid: input.callSid, pageSize: 20 });
      const leg = legs.find((l) => twilioTime(l.date_created) >= s.since && !s.known?.includes(l.sid));
      if (leg !== undefined) {
        s.dest = leg.sid;
        await r.claim.noteRef(COLD_PREFIX + JSON.stringify(s));
      }
    }
    if (s.dest !== undefined) {
      const leg = await client.fetchCall(s.dest);
      const state = coldLegState(leg.status);
      if (state === 'canceled') {
        // A dial is canceled when the caller hangs up while it rings (or at its own timeout).
        return (await callerHungUp(r))
          ? { outcome: 'failed', detail: CallerHungUp.WhileRinging, callerGone: true }
          : { outcome: 'no-answer', detail: 'the destination did not answer' };
      }
      if (state !== 'ringing') return state;
    } else if (await callerHungUp(r)) {
      return { outcome: 'failed', detail: CallerHungUp.BeforeTransfer, callerGone: true };
    }
    if (Date.now() >= s.deadline) {
      return { outcome: 'no-answer', detail: `no answer within ${input.ringTimeoutSeconds} seconds` };
    }
    if (r.attempt.remaining() < delay + 1_000) {
      throw new ProviderError(
        TWILIO,
        'telephony_transfer_pending',
        `cold transfer of ${input.callSid} is still ringing; the next attempt keeps watching`,
        { retryable: true, retryAfterMs: 100 },
      );
    }
    r.attempt.heartbeat({ phase: 'cold-ring', destination: s.dest });
    await r.attempt.sleep(delay);
    delay = Math.min(Math.round(delay * 1.5), r.d.config.pollMaxMs);
  }
}

/** A `<Dial>` leg's call status as a ring outcome (`completed` means it was answered). */
function coldLegState(status: string): RingResult | 'ringing' | 'canceled' {
  switch (status) {
    case 'in-progress':
    case 'completed':
      return 'answered';
    case 'busy':
      return { outcome: 'busy', detail: 'the destination is busy' };
    case 'no-answer':
      return { outcome: 'no-answer', detail: 'the destination did not answer' };
    case 'failed':
      return { outcome: 'failed', detail: 'the destination could not be reached' };
    case 'canceled':
      return 'canceled';
    default:
      return 'ringing';
  }
}

/** Where the caller is after an unanswered cold transfer (the TwiML after `<Dial>` moved them). */
async function coldCallerState(r: Run, gone: boolean): Promise<CallerState> {
  if (gone || (await callerHungUp(r))) return CallerStates.Gone;
  return r.d.config.resumeUrl !== undefined ? CallerStates.Resumed : CallerStates.Elsewhere;
}

/** Did an earlier attempt's redirect reach Twilio? (Its `<Dial>` creates a child leg.) */
async function coldRedirectLanded(r: Run): Promise<boolean> {
  const { d, client, input } = r;
  const since = (await claimedAt(d.ctx.db, r.call.tenantId, r.key)) - d.config.clockSlackMs;
  const landed = async () =>
    (await client.listCalls({ parentCallSid: input.callSid, pageSize: 20 })).some(
      (leg) => twilioTime(leg.date_created) >= since,
    );
  if (await landed()) return true;
  const caller = await client.fetchCall(input.callSid);
  if (FINAL_CALL_STATUSES.has(caller.status)) {
    throw new ProviderError(
      TWILIO,
      ProviderErrorCodes.Conflict,
      `call ${input.callSid} ended (${caller.status}) before the transfer was confirmed`,
      { retryable: false },
    );
  }
  // The redirect may have landed and still be saying the message before <Dial> starts.
  const wait = Math.min(speechMs(d, input.message) + 1_500, r.attempt.remaining() - 2_000);
  if (wait <= 0) return false;
  r.attempt.heartbeat({ phase: 'cold-lookup' });
  await r.attempt.sleep(wait);
  return landed();
}

// ------------------------------------------------------------------------------------ warm

function roomName(tenantId: string, key: string): string {
  return `switchboard-${createHash('sha256').update(`${tenantId}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

function parseWarm(ref: string | null | undefined): WarmState | undefined {
  if (ref === null || ref === undefined || !ref.startsWith(REF_PREFIX)) return undefined;
  try {
    return JSON.parse(ref.slice(REF_PREFIX.length)) as WarmState;
  } catch {
    return undefined;
  }
}

async function save(r: Run, s: WarmState): Promise<void> {
  await r.claim.noteRef(REF_PREFIX + JSON.stringify(s));
  r.attempt.heartbeat({ phase: s.phase, conference: s.conf, destination: s.dest });
}

function pending(r: Run, s: WarmState): ProviderError {
  return new ProviderError(
    TWILIO,
    'telephony_transfer_pending',
    `warm transfer of ${r.input.callSid} is still in its '${s.phase}' step; the next attempt continues it`,
    { retryable: true, retryAfterMs: 100 },
  );
}

async function warmTransfer(r: Run): Promise<TransferOutcome> {
  const { d, client, input } = r;
  const resumed = r.record?.state === 'started';
  const s: WarmState = parseWarm(r.record?.providerRef) ?? { room: roomName(r.call.tenantId, r.key), phase: 'move' };

  if (s.phase === 'move') {
    const landed = resumed ? await warmMoveLanded(r, s) : false;
    let gone = landed === 'gone';
    if (!landed) {
      const twiml = Twiml.response(
        input.message !== '' ? Twiml.say(input.message) : undefined,
        Twiml.conference(s.room, { beep: false, startConferenceOnEnter: true, endConferenceOnExit: true }),
      );
      try {
        await client.updateCall(input.callSid, { twiml });
      } catch (err) {
        // The call is over (Twilio 21220): the same outcome as a retry that finds it over.
        gone = twilioErrorCode(err) === 21220;
        if (!gone) {
          if (!resumed && certainlyNotApplied(err)) await r.claim.release();
          throw err;
        }
      }
    }
    if (gone) {
      Object.assign(s, { phase: 'recover', outcome: 'failed', detail: CallerHungUp.BeforeTransfer, callerGone: true });
    } else {
      Object.assign(s, { phase: 'hold', joinDeadline: Date.now() + speechMs(d, input.message) + d.config.joinGraceMs });
    }
    await save(r, s);
  }

  if (s.phase !== 'recover') {
    try {
      const connected = await warmSteps(r, s, resumed);
      if (connected !== undefined) return connected;
    } catch (err) {
      // The caller is in the conference now: a failure no retry can fix must not strand them.
      if (!(err instanceof ProviderError) || err.retryable) throw err;
      // Twilio refuses steps on a conference the caller's hang-up ended: say why it really failed.
      if (await callerHungUp(r)) {
        Object.assign(s, {
          phase: 'recover',
          outcome: 'failed',
          detail: CallerHungUp.BeforeConnected,
          callerGone: true,
        });
      } else {
        Object.assign(s, {
          phase: 'recover',
          outcome: 'failed',
          detail: `the transfer could not continue: ${err.message}`,
        });
      }
      await save(r, s);
    }
  }
  return recover(r, s);
}

/** Steps `hold` to `whisper`; the outcome when connected, `undefined` when `s` moved to `recover`. */
async function warmSteps(r: Run, s: WarmState, resumed: boolean): Promise<TransferOutcome | undefined> {
  const { d, client, input } = r;
  if (s.phase === 'hold') {
    const conf = await waitForCaller(r, s);
    if (conf === 'gone') {
      Object.assign(s, { phase: 'recover', outcome: 'failed', detail: CallerHungUp.BeforeTransfer, callerGone: true });
    } else if (conf === 'late') {
      Object.assign(s, {
        phase: 'recover',
        outcome: 'failed',
        detail: 'the caller did not reach the transfer conference',
      });
    } else {
      s.conf = conf;
      await client.updateParticipant(conf, input.callSid, {
        hold: true,
        ...(input.holdMusicUrl !== undefined ? { holdUrl: input.holdMusicUrl, holdMethod: 'GET' as const } : {}),
      });
      s.phase = 'dial';
    }
    await save(r, s);
  }

  if (s.phase === 'dial') {
    const conf = s.conf as string;
    if (resumed && s.dest === undefined) s.dest = await findDialedLeg(r, s);
    if (s.dest === undefined) {
      s.from ??= await callerIdFor(client, input.callSid);
      const participant = await client.createParticipant(conf, {
        from: s.from,
        to: input.destination.address,
        label: TRANSFER_LABEL,
        timeout: input.ringTimeoutSeconds,
        beep: 'false',
        earlyMedia: false,
        startConferenceOnEnter: true,
        // Not yet: if the person hangs up during the whisper the caller must stay.
        endConferenceOnExit: false,
      });
      s.dest = participant.call_sid;
    }
    s.ringDeadline ??= Date.now() + input.ringTimeoutSeconds * 1000 + RING_GRACE_MS;
    s.phase = 'ring';
    await save(r, s);
  }

  if (s.phase === 'ring') {
    const rung = await watchRinging(r, s);
    if (rung === 'answered') {
      const whisper = truncate(input.whisper, MAX_WHISPER_CHARS);
      if (whisper !== '') {
        await client.updateParticipant(s.conf as string, s.dest as string, {
          announceUrl: d.config.announceUrlTemplate.replace('{text}', encodeURIComponent(whisper)),
          announceMethod: 'GET',
        });
      }
      Object.assign(s, { phase: 'whisper', whisperUntil: Date.now() + Math.min(speechMs(d, whisper), MAX_WHISPER_MS) });
    } else {
      Object.assign(s, { phase: 'recover', ...rung });
    }
    await save(r, s);
  }

  if (s.phase === 'whisper') {
    const wait = (s.whisperUntil ?? 0) - Date.now();
    if (wait > 0) {
      if (wait > r.attempt.remaining() - 1_000) throw pending(r, s);
      await r.attempt.sleep(wait);
    }
    if (await destinationConnected(r, s)) {
      const conf = s.conf as string;
      const dest = s.dest as string;
      await client.updateParticipant(conf, input.callSid, { hold: false });
      await client.updateParticipant(conf, dest, { endConferenceOnExit: true });
      return complete(r, {
        ...baseOutcome(input, TransferStatuses.Connected),
        destination_call_sid: dest,
        conference_sid: conf,
        caller: CallerStates.Bridged,
      });
    }
    // The caller hanging up ends the conference too, which drops the person hearing the whisper.
    Object.assign(
      s,
      (await callerHungUp(r))
        ? { phase: 'recover', outcome: 'failed', detail: CallerHungUp.BeforeConnected, callerGone: true }
        : { phase: 'recover', outcome: 'failed', detail: 'the destination hung up before the caller was connected' },
    );
    await save(r, s);
  }
  return undefined;
}

/** Whether the caller's call is over (they hung up, or it ended otherwise). */
async function callerHungUp(r: Run): Promise<boolean> {
  return FINAL_CALL_STATUSES.has((await r.client.fetchCall(r.input.callSid)).status);
}

/**
 * On a retry in the `move` step: did the earlier redirect land? The conference exists once the
 * caller joined; before that the caller may still be hearing the message.
 */
async function warmMoveLanded(r: Run, s: WarmState): Promise<boolean | 'gone'> {
  const exists = async () => (await r.client.listConferences({ friendlyName: s.room })).length > 0;
  if (await exists()) return true;
  const caller = await r.client.fetchCall(r.input.callSid);
  if (FINAL_CALL_STATUSES.has(caller.status)) return 'gone';
  const wait = Math.min(speechMs(r.d, r.input.message) + 1_500, r.attempt.remaining() - 2_000);
  if (wait <= 0) return false;
  await r.attempt.sleep(wait);
  return exists();
}

/** Waits until the caller is a participant of the room; its conference SID, or why not. */
async function waitForCaller(r: Run, s: WarmState): Promise<string | 'gone' | 'late'> {
  const { client, input } = r;
  let delay = 100;
  for (;;) {
    for (const conf of await client.listConferences({ friendlyName: s.room, status: 'in-progress' })) {
      try {
        await client.fetchParticipant(conf.sid, input.callSid);
        return conf.sid;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const caller = await client.fetchCall(input.callSid);
    if (FINAL_CALL_STATUSES.has(caller.status)) return 'gone';
    if (Date.now() > (s.joinDeadline ?? 0)) return 'late';
    if (r.attempt.remaining() < delay + 1_000) throw pending(r, s);
    r.attempt.heartbeat({ phase: 'hold', waiting: 'caller' });
    await r.attempt.sleep(delay);
    delay = Math.min(delay * 2, r.d.config.pollMaxMs);
  }
}

/** The number the destination sees: the Twilio number of the call (its `To` when inbound). */
async function callerIdFor(client: TwilioClient, callSid: string): Promise<string> {
  const caller = await client.fetchCall(callSid);
  return caller.direction === 'inbound' ? caller.to : caller.from;
}

/** On a retry in the `dial` step: the destination leg an earlier attempt created, if any. */
async function findDialedLeg(r: Run, s: WarmState): Promise<string | undefined> {
  try {
    return (await r.client.fetchParticipant(s.conf as string, TRANSFER_LABEL)).call_sid;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  // A leg that already ended (busy…) has left the conference; phone legs can still be found.
  if (r.input.destination.kind !== 'phone') return undefined;
  const since = (await claimedAt(r.d.ctx.db, r.call.tenantId, r.key)) - r.d.config.clockSlackMs;
  const legs = await r.client.listCalls({ to: r.input.destination.address, pageSize: 20 });
  return legs.find(
    (leg) =>
      leg.direction === 'outbound-api' &&
      leg.parent_call_sid === null &&
      (s.from === undefined || leg.from === s.from) &&
      twilioTime(leg.date_created) >= since,
  )?.sid;
}

type RingResult = 'answered' | { outcome: 'busy' | 'no-answer' | 'failed'; detail: string; callerGone?: boolean };

/** Polls the ringing destination (with backoff and heartbeats) until it answers or gives up. */
async function watchRinging(r: Run, s: WarmState): Promise<RingResult> {
  const { client, input } = r;
  let delay = 150;
  let callerCheckedAt = Date.now();
  for (;;) {
    const state = await destinationState(r, s);
    if (state !== 'ringing') return state;
    if (Date.now() >= (s.ringDeadline ?? 0)) {
      return { outcome: 'no-answer', detail: `no answer within ${input.ringTimeoutSeconds} seconds` };
    }
    if (Date.now() - callerCheckedAt >= 2_000) {
      callerCheckedAt = Date.now();
      const caller = await client.fetchCall(input.callSid);
      if (FINAL_CALL_STATUSES.has(caller.status)) {
        return { outcome: 'failed', detail: CallerHungUp.WhileRinging, callerGone: true };
      }
    }
    if (r.attempt.remaining() < delay + 1_000) throw pending(r, s);
    r.attempt.heartbeat({ phase: 'ring', destination: s.dest });
    await r.attempt.sleep(delay);
    delay = Math.min(Math.round(delay * 1.5), r.d.config.pollMaxMs);
  }
}

async function destinationState(r: Run, s: WarmState): Promise<RingResult | 'ringing'> {
  const { client } = r;
  try {
    const p = await client.fetchParticipant(s.conf as string, s.dest as string);
    if (p.status === 'connected') return 'answered';
    if (p.status === 'queued' || p.status === 'connecting' || p.status === 'ringing') return 'ringing';
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  // Not (or no longer) a participant: the leg's call status says how it ended.
  const leg = await client.fetchCall(s.dest as string);
  if ((leg.status === 'canceled' || leg.status === 'completed') && (await callerHungUp(r))) {
    // The caller's hang-up ended the conference, and with it the leg: not the destination's doing.
    return { outcome: 'failed', detail: CallerHungUp.WhileRinging, callerGone: true };
  }
  switch (leg.status) {
    case 'busy':
      return { outcome: 'busy', detail: 'the destination is busy' };
    case 'no-answer':
    case 'canceled':
      return { outcome: 'no-answer', detail: 'the destination did not answer' };
    case 'failed':
      return { outcome: 'failed', detail: 'the destination could not be reached' };
    case 'completed':
      return { outcome: 'failed', detail: 'the destination hung up before the caller was connected' };
    default:
      return 'ringing';
  }
}

async function destinationConnected(r: Run, s: WarmState): Promise<boolean> {
  try {
    return (await r.client.fetchParticipant(s.conf as string, s.dest as string)).status === 'connected';
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Stops the destination leg and brings the caller back; reports the outcome. */
async function recover(r: Run, s: WarmState): Promise<TransferOutcome> {
  const { client, input, d } = r;
  if (s.dest !== undefined) {
    try {
      const leg = await client.fetchCall(s.dest);
      if (!FINAL_CALL_STATUSES.has(leg.status)) {
        await client.updateCall(s.dest, { status: leg.status === 'in-progress' ? 'completed' : 'canceled' });
      }
    } catch (err) {
      // Already gone is what we wanted.
      if (!isNotFound(err) && twilioErrorCode(err) !== 21220) throw err;
    }
  }
  let caller: CallerState = CallerStates.Gone;
  if (!s.callerGone) {
    const live = await client.fetchCall(input.callSid);
    if (!FINAL_CALL_STATUSES.has(live.status)) {
      // On the line: wherever they are, the result must not say they hung up.
      caller = CallerStates.Elsewhere;
      if (d.config.resumeUrl !== undefined) {
        try {
          await client.updateCall(input.callSid, { url: d.config.resumeUrl, method: 'POST' });
          caller = CallerStates.Resumed;
        } catch (err) {
          // Hung up just now: nobody to bring back.
          if (twilioErrorCode(err) !== 21220) throw err;
          caller = CallerStates.Gone;
        }
      } else if (s.conf !== undefined) {
        try {
          await client.updateParticipant(s.conf, input.callSid, { hold: false });
          caller = CallerStates.InConference;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }
  const result: TransferOutcome = {
    ...baseOutcome(input, s.outcome ?? TransferStatuses.Failed),
    caller,
    ...(s.dest !== undefined ? { destination_call_sid: s.dest } : {}),
    ...(s.conf !== undefined ? { conference_sid: s.conf } : {}),
    ...(s.detail !== undefined ? { detail: s.detail } : {}),
  };
  return complete(r, result);
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
