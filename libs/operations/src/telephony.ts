/**
 * The telephony operations (`sms.*`, `telephony.*`, served by the telephony worker; and
 * `session.*`, answered by the session workflow itself): their specs and payload parsers.
 *
 * A payload is checked before anything reaches Twilio. A bad payload is a configuration or
 * chain problem that no retry can fix, so it fails non-retryably with `provider_invalid_input`
 * and a message that names the member, what was found and, when the address checks of
 * `@switchboard/actions` have one, the likely fix.
 */
import {
  BuiltinOperations,
  e164Problem,
  joinTextParts,
  parseTransferDestination,
  publicUrlProblem,
  type SessionPauseInactivityInput,
  type SessionPauseInactivityResult,
  type SessionResumeInactivityInput,
  type SessionResumeInactivityResult,
  type SmsSendResult,
  sipUriProblem,
  type TelephonyEndCallResult,
  type TelephonyTransferResult,
} from '@switchboard/actions';
import type { SwitchboardError } from '@switchboard/common/errors';
import { defineOperation, invalidPayload } from './spec.js';

/** A checked `sms.send` payload, text joined. */
export interface SmsRequest {
  credential: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

/** A checked `telephony.transfer` payload, text joined. */
export interface TransferRequest {
  /** Credential for call control: the payload may name one (an extension of the contract). */
  credential?: string;
  /** The Twilio call; absent on a call no Twilio account of ours controls (see {@link requireCallSid}). */
  callSid?: string;
  destination: { kind: 'phone' | 'sip'; address: string };
  mode: 'cold' | 'warm';
  /** Said to the caller before the move; '' for nothing. */
  message: string;
  holdMusicUrl?: string;
  /** Said to the person who answers (warm); '' for nothing. */
  whisper: string;
  ringTimeoutSeconds: number;
  reason?: string;
  summary?: string;
}

/** A checked `telephony.end_call` payload. */
export interface EndCallRequest {
  credential?: string;
  /** The Twilio call; absent on a call no Twilio account of ours controls (see {@link requireCallSid}). */
  callSid?: string;
  /** Said before hanging up; '' for nothing. */
  message: string;
}

/** Longest SMS body Twilio accepts, in characters. */
export const MAX_SMS_BODY = 1600;
/** Longest text the worker says in one `<Say>` (Twilio's limit is 4,096; TwiML in total ≤ 4,000). */
export const MAX_SAY_LENGTH = 3000;

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const MG_SID = /^MG[0-9a-fA-F]{32}$/;

function invalid(operation: string, field: string, message: string): SwitchboardError {
  return invalidPayload(`${operation}: ${message}`, { field });
}

function object(operation: string, payload: unknown): Record<string, unknown> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw invalid(operation, '', 'the payload must be an object');
  }
  return payload as Record<string, unknown>;
}

function optionalString(operation: string, p: Record<string, unknown>, field: string): string | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(operation, field, `'${field}' must be a string, got ${typeof v}`);
  return v;
}

function e164(operation: string, field: string, value: string, what: string): string {
  const problem = e164Problem(value);
  if (problem === undefined) return value;
  const hint = problem.suggestion !== undefined ? ` (did you mean ${problem.suggestion}?)` : '';
  throw invalid(operation, field, `${what} '${value}' is not an E.164 number: ${problem.message}${hint}`);
}

function text(operation: string, p: Record<string, unknown>, field: string, max: number): string {
  const v = p[field];
  if (v === undefined || v === null) return '';
  const joined = joinTextParts(v);
  if ([...joined].length > max) {
    throw invalid(operation, field, `'${field}' is ${[...joined].length} characters; at most ${max} are allowed`);
  }
  return joined;
}

/**
 * The payload's Twilio call sid, checked when present. Its absence is the channel's business:
 * a Vapi call has none, and a Twilio call without one fails in {@link requireCallSid}.
 */
function callSid(operation: string, p: Record<string, unknown>): string | undefined {
  const sid = optionalString(operation, p, 'call_sid');
  if (sid === undefined || sid === '') return undefined;
  if (!CALL_SID.test(sid)) {
    throw invalid(
      operation,
      'call_sid',
      `'call_sid' must be a Twilio call SID ('CA' and 32 hexadecimal digits), got '${sid}'`,
    );
  }
  return sid;
}

/**
 * The request with its Twilio call sid, for controlling the call over Twilio; without one fails
 * non-retryably (there is no live Twilio call to act on).
 */
export function requireCallSid<T extends { callSid?: string }>(operation: string, input: T): T & { callSid: string } {
  if (input.callSid === undefined) {
    throw invalid(
      operation,
      'call_sid',
      "there is no live call to act on: 'call_sid' is missing (context.call.sid is set only for phone conversations)",
    );
  }
  return input as T & { callSid: string };
}

/** Checks an `sms.send` payload (`SmsSendInput` of `@switchboard/actions`). */
export function parseSmsInput(payload: unknown): SmsRequest {
  const op = 'sms.send';
  const p = object(op, payload);
  const credential = optionalString(op, p, 'credential');
  if (credential === undefined || credential === '')
    throw invalid(op, 'credential', "'credential' (a Twilio credential name) is required");
  const to = optionalString(op, p, 'to');
  if (to === undefined || to === '') throw invalid(op, 'to', "'to' (the recipient, E.164) is required");
  e164(op, 'to', to, 'the recipient');
  const from = optionalString(op, p, 'from');
  const service = optionalString(op, p, 'messaging_service_sid');
  const hasFrom = from !== undefined && from !== '';
  const hasService = service !== undefined && service !== '';
  if (hasFrom === hasService) {
    throw invalid(
      op,
      'from',
      hasFrom
        ? "set either 'from' or 'messaging_service_sid', not both"
        : "a sender is required: 'from' (E.164) or 'messaging_service_sid' (MG…)",
    );
  }
  if (hasFrom) e164(op, 'from', from as string, 'the sender');
  if (hasService && !MG_SID.test(service as string)) {
    throw invalid(
      op,
      'messaging_service_sid',
      `'messaging_service_sid' must be 'MG' and 32 hexadecimal digits, got '${service}'`,
    );
  }
  const body = text(op, p, 'body', MAX_SMS_BODY);
  if (body.trim() === '') throw invalid(op, 'body', 'the message body is empty after filling in its template');
  const out: SmsRequest = { credential, to, body };
  if (hasFrom) out.from = from as string;
  if (hasService) out.messagingServiceSid = service as string;
  return out;
}

/** Checks a `telephony.transfer` payload (`TelephonyTransferInput`). */
export function parseTransferInput(payload: unknown): TransferRequest {
  const op = 'telephony.transfer';
  const p = object(op, payload);
  const sid = callSid(op, p);
  const dest = p.destination;
  if (dest === null || typeof dest !== 'object' || Array.isArray(dest)) {
    throw invalid(op, 'destination', "'destination' must be an object { kind, address }");
  }
  const { kind, address } = dest as Record<string, unknown>;
  if (kind !== 'phone' && kind !== 'sip')
    throw invalid(op, 'destination.kind', `'destination.kind' must be 'phone' or 'sip', got '${String(kind)}'`);
  if (typeof address !== 'string' || address === '')
    throw invalid(op, 'destination.address', "'destination.address' is required");
  const parsed = parseTransferDestination(address);
  if (!parsed.ok) {
    const hint = parsed.suggestion !== undefined ? ` (did you mean ${parsed.suggestion}?)` : '';
    const what = kind === 'sip' ? (sipUriProblem(address)?.message ?? parsed.message) : parsed.message;
    throw invalid(op, 'destination.address', `the transfer destination '${address}' is not valid: ${what}${hint}`);
  }
  if (parsed.destination.kind !== kind) {
    throw invalid(
      op,
      'destination.kind',
      `the destination '${address}' is a ${parsed.destination.kind === 'sip' ? 'SIP address' : 'phone number'}, but its kind is '${kind}'`,
    );
  }
  const mode = p.mode ?? 'cold';
  if (mode !== 'cold' && mode !== 'warm')
    throw invalid(op, 'mode', `'mode' must be 'cold' or 'warm', got '${String(mode)}'`);
  const ring = p.ring_timeout_seconds ?? 30;
  if (typeof ring !== 'number' || !Number.isInteger(ring) || ring < 5 || ring > 600) {
    throw invalid(
      op,
      'ring_timeout_seconds',
      `'ring_timeout_seconds' must be an integer from 5 to 600, got ${JSON.stringify(ring)}`,
    );
  }
  const hold = optionalString(op, p, 'hold_music_url');
  if (hold !== undefined && hold !== '') {
    const problem = publicUrlProblem(hold);
    if (problem !== undefined)
      throw invalid(op, 'hold_music_url', `the hold music URL is not usable: ${problem.message}`);
  }
  const out: TransferRequest = {
    ...(sid !== undefined ? { callSid: sid } : {}),
    destination: parsed.destination,
    mode,
    message: text(op, p, 'message', MAX_SAY_LENGTH),
    whisper: text(op, p, 'whisper', MAX_SAY_LENGTH),
    ringTimeoutSeconds: ring,
  };
  const credential = optionalString(op, p, 'credential');
  if (credential !== undefined && credential !== '') out.credential = credential;
  if (hold !== undefined && hold !== '') out.holdMusicUrl = hold;
  const reason = optionalString(op, p, 'reason');
  if (reason !== undefined) out.reason = reason;
  const summary = optionalString(op, p, 'summary');
  if (summary !== undefined) out.summary = summary;
  return out;
}

/** Checks a `telephony.end_call` payload (`TelephonyEndCallInput`). */
export function parseEndCallInput(payload: unknown): EndCallRequest {
  const op = 'telephony.end_call';
  const p = object(op, payload);
  const sid = callSid(op, p);
  const out: EndCallRequest = {
    ...(sid !== undefined ? { callSid: sid } : {}),
    message: text(op, p, 'message', MAX_SAY_LENGTH),
  };
  const credential = optionalString(op, p, 'credential');
  if (credential !== undefined && credential !== '') out.credential = credential;
  return out;
}

/**
 * Warm transfer outcomes that mean the caller is still with us: the step fails with
 * `transfer_<status>` and the chain falls back.
 */
export const TRANSFER_FALLBACK_STATUSES = ['busy', 'no-answer', 'no_answer', 'failed', 'canceled'] as const;

/** `sms.send`: Twilio `POST /2010-04-01/Accounts/{sid}/Messages.json`. */
export const smsSend = defineOperation<SmsRequest, SmsSendResult>({
  name: BuiltinOperations.SmsSend,
  family: 'Telephony',
  summary: 'Sends a text message.',
  traits: {
    startsBookingLifecycles: true,
    reversibility: { reversible: false, why: 'a sent SMS cannot be recalled' },
    exactlyOnce: 'effect-record',
  },
  parse: parseSmsInput,
});

/** `telephony.transfer`: redirect the live call (Twilio `<Dial>`; warm via a conference). */
export const telephonyTransfer = defineOperation<TransferRequest, TelephonyTransferResult>({
  name: BuiltinOperations.TelephonyTransfer,
  family: 'Telephony',
  summary: 'Transfers the live call to a number or SIP address, cold or warm.',
  traits: {
    callControl: 'transfer',
    failsOnStatus: { statuses: TRANSFER_FALLBACK_STATUSES, codePrefix: 'transfer_', subject: 'the transfer' },
    reversibility: { reversible: false, why: 'a call transfer cannot be undone' },
    exactlyOnce: 'effect-record',
  },
  parse: parseTransferInput,
});

/** `telephony.end_call`: say a final message and hang up (Twilio `Calls/{sid}`). */
export const telephonyEndCall = defineOperation<EndCallRequest, TelephonyEndCallResult>({
  name: BuiltinOperations.TelephonyEndCall,
  family: 'Telephony',
  summary: 'Says a final message and hangs up.',
  traits: {
    callControl: 'end_call',
    deferredUntilDelivered: true,
    reversibility: { reversible: false, why: 'an ended call cannot be resumed' },
    exactlyOnce: 'effect-record',
  },
  parse: parseEndCallInput,
});

/** `session.pause_inactivity`: answered by the session itself (the runtime pauses its timer). */
export const sessionPauseInactivity = defineOperation<SessionPauseInactivityInput, SessionPauseInactivityResult>({
  name: BuiltinOperations.SessionPauseInactivity,
  family: 'session',
  summary: "Pauses the voice session's inactivity timer.",
  traits: {
    callControl: 'pause_inactivity',
    reversibility: { reversible: false, why: 'the timer resumes by itself' },
    exactlyOnce: 'idempotent',
  },
});

/**
 * `session.resume_inactivity`: answered by the session itself. Lifts the caller's explicit
 * pause (the session stops holding back the automatic resume; the runtime resumes its timer).
 */
export const sessionResumeInactivity = defineOperation<SessionResumeInactivityInput, SessionResumeInactivityResult>({
  name: BuiltinOperations.SessionResumeInactivity,
  family: 'session',
  summary: "Resumes the voice session's inactivity timer after an explicit pause.",
  traits: {
    callControl: 'resume_inactivity',
    reversibility: { reversible: false, why: 'the timer can simply be paused again' },
    exactlyOnce: 'idempotent',
  },
});

/** Every telephony and session operation. */
export const TELEPHONY_OPERATIONS = [
  smsSend,
  telephonyTransfer,
  telephonyEndCall,
  sessionPauseInactivity,
  sessionResumeInactivity,
] as const;
