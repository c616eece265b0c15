/**
 * The provider operations that compiled built-in actions request, and their contracts.
 *
 * A built-in compiles into `provider` steps; the interpreter resolves each step's `input`
 * against the run's scopes and hands the executor an `EffectRequest` with `kind: 'provider'`,
 * `operation` (one of {@link BuiltinOperations}) and the resolved `payload`. The types below
 * describe those resolved payloads and the results the executing worker returns, so workers
 * and this package share one definition. Optional members are omitted when the value they
 * were read from is absent (the interpreter drops object members that resolve to nothing).
 *
 * Conventions shared by every operation:
 * - `credential` is the NAME of a tenant credential; the worker loads the secret itself.
 * - Text built from a `{{template}}` arrives as {@link TextParts}: join it with
 *   {@link joinTextParts}. The interpreter resolves paths but renders templates only in
 *   messages, and a worker has no access to the conversation state, so templates are
 *   compiled into parts that the interpreter resolves one by one.
 * - Workers throw non-retryable failures for rejected input and authentication errors
 *   (`401`/`403`), retryable ones for timeouts, `429` and `5xx`; idempotency keys derive from
 *   (intent id, `stepPointer`).
 */

import type { JsonObject, JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common/errors';
import { isPlainObject, ownSet } from '../json.js';
import { getAtPath } from '../paths.js';
import { stringifyForTemplate } from '../templates.js';

/** Operation names of the built-in provider steps (`family.operation`). */
export const BuiltinOperations = {
  /** Redirect the live call to a number or SIP address (Twilio `<Dial>`; warm via a conference). */
  TelephonyTransfer: 'telephony.transfer',
  /** Say a final message and hang up (Twilio `Calls/{sid}` with `<Say>` + `<Hangup/>`). */
  TelephonyEndCall: 'telephony.end_call',
  /** Pause the voice session's inactivity timer (served by the conversation runtime). */
  SessionPauseInactivity: 'session.pause_inactivity',
  /** Lift the caller's explicit inactivity pause (served by the conversation runtime). */
  SessionResumeInactivity: 'session.resume_inactivity',
  /** Cal.com `GET /v2/slots`. */
  CalcomSlots: 'calcom.slots',
  /** Cal.com `POST /v2/bookings`. */
  CalcomBook: 'calcom.book',
  /** Cal.com `GET /v2/bookings/{uid}`, or `GET /v2/bookings` (the attendee's upcoming ones): one booking. */
  CalcomFindBooking: 'calcom.find_booking',
  /** Cal.com `POST /v2/bookings/{uid}/cancel`. */
  CalcomCancel: 'calcom.cancel',
  /** Cal.com `POST /v2/bookings/{uid}/reschedule`. */
  CalcomReschedule: 'calcom.reschedule',
  /** Twilio `POST /2010-04-01/Accounts/{sid}/Messages.json`. */
  SmsSend: 'sms.send',
  /** HubSpot `POST /crm/v3/objects/contacts/search`. */
  CrmLookup: 'crm.lookup',
  /** HubSpot `PATCH /crm/v3/objects/contacts/{id}`. */
  CrmUpdate: 'crm.update',
  /** HubSpot `POST /crm/v3/objects/tickets`. */
  CrmTicket: 'crm.ticket',
  /** A custom HTTP API behind a tenant endpoint (served by the webhook worker). */
  HttpRequest: 'http.request',
} as const;
/** One of {@link BuiltinOperations}. */
export type BuiltinOperation = (typeof BuiltinOperations)[keyof typeof BuiltinOperations];

/**
 * Where the compiled chains read call context. The conversation service fills these keys of
 * `context` when it starts a call; a built-in that needs one fails (or omits the member)
 * when it is absent.
 */
export const BuiltinContextPaths = {
  /** Provider id of the live call leg (Twilio `CallSid`). */
  CallSid: 'call.sid',
  /** The caller's number, E.164 (Twilio `From` of an inbound call, `To` of an outbound one). */
  CallerNumber: 'call.from',
  /** The contact's e-mail address, when the contact record has one. */
  ContactEmail: 'contact.email',
  /** CRM id of the contact, as stored by `crm_lookup` under its default result key. */
  CrmContactId: 'crm_contact.contact_id',
} as const;

/**
 * Text compiled from a `{{template}}`: literal runs and resolved placeholder values, in order.
 * A placeholder whose path was absent resolves to `null`.
 */
export type TextParts = JsonValue[];

/**
 * Joins {@link TextParts} exactly as `{{template}}` rendering does: strings verbatim, `null`
 * as nothing, numbers and booleans as their JSON text, objects and arrays as compact JSON.
 * A plain string is returned unchanged; anything else that is not an array renders as one part.
 */
export function joinTextParts(parts: unknown): string {
  if (typeof parts === 'string') return parts;
  if (!Array.isArray(parts)) return stringifyForTemplate(parts);
  let out = '';
  for (const part of parts) out += stringifyForTemplate(part);
  return out;
}

/** One segment of a request path: literal text (sent as written) or a value (percent-encoded). */
export type PathPart = { text: string } | { value?: JsonValue };

/**
 * Builds the request path of an `http.request`: literal parts verbatim, value parts rendered
 * like template text and percent-encoded with `encodeURIComponent`, so a value can never add
 * path segments, a query or a fragment. A missing value renders as the empty string.
 */
export function buildRequestPath(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  let out = '';
  for (const part of parts) {
    if (!isPlainObject(part)) continue;
    if (typeof part.text === 'string') out += part.text;
    else {
      const encoded = encodeURIComponent(stringifyForTemplate(part.value));
      // A value of '.' or '..' would be a dot segment climbing out of the endpoint's base path,
      // and URL parsers treat '%2E%2E' the same way, so no encoding makes it safe: refuse it.
      if (/^(\.|%2e){1,2}$/i.test(encoded)) {
        throw new SwitchboardError(
          'provider_invalid_input',
          `the request path has a '.' or '..' segment (value '${encoded}')`,
        );
      }
      out += encoded;
    }
  }
  return out;
}

/**
 * Reads a response path of a `response_mapping` (`data.customer.id`, `items.0.name`) from a
 * parsed response body. Unlike chain paths it has no scopes: the first segment is a member of
 * the response. Returns `null` when anything on the way is missing.
 */
export function readResponsePath(response: JsonValue, path: string): JsonValue {
  const segments = path === '' ? [] : path.split('.');
  return getAtPath(response, segments) ?? null;
}

/**
 * Applies a `response_mapping` (output name → response path) to a parsed response body: the
 * result has exactly the mapping's keys, `null` where the response has nothing.
 */
export function applyResponseMapping(response: JsonValue, mapping: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(mapping)) {
    const path = mapping[name];
    if (typeof path === 'string') ownSet(out, name, readResponsePath(response, path));
  }
  return out;
}

/** Payload of `telephony.transfer`. */
export interface TelephonyTransferInput {
  /** The live call (from `context.call.sid`); absent when the conversation is not a phone call. */
  call_sid?: string;
  destination: { kind: 'phone' | 'sip'; address: string };
  /** `cold`: redirect the caller straight to the destination. `warm`: hold the caller in a conference, reach the destination, whisper, then bridge. */
  mode: 'cold' | 'warm';
  /** Said to the caller before the call moves (TwiML `<Say>`); absent when not configured. */
  message?: TextParts;
  /** Warm only: played to the caller while on hold. */
  hold_music_url?: string;
  /** Warm only: said to the person who answers, before the caller is connected. */
  whisper?: TextParts;
  /** Seconds to ring the destination before giving up (Twilio `<Dial timeout>`). */
  ring_timeout_seconds: number;
  /** Why the caller is transferred (LLM-supplied; for the audit trail and the whisper). */
  reason?: string;
  /** Warm only: the LLM's summary of the conversation, for the person taking the call. */
  summary?: string;
}
/** Result of `telephony.transfer`. */
export interface TelephonyTransferResult {
  /** `connected` once the destination answered; `busy`, `no-answer` or `failed` otherwise. */
  status: string;
}

/** Payload of `telephony.end_call`. */
export interface TelephonyEndCallInput {
  call_sid?: string;
  /** Said before hanging up; absent (or joining to '') when nothing should be said. */
  message?: TextParts;
}
/** Result of `telephony.end_call`. */
export interface TelephonyEndCallResult {
  status: string;
}

/** Payload of `session.pause_inactivity`. */
export interface SessionPauseInactivityInput {
  /** How long the runtime waits for the caller before its inactivity handling resumes. */
  duration_seconds: number;
}
/** Result of `session.pause_inactivity`. */
export interface SessionPauseInactivityResult {
  /** `paused`. */
  status: string;
}

/** Payload of `session.resume_inactivity`: nothing to say, the explicit pause simply ends. */
export type SessionResumeInactivityInput = Record<string, never>;
/** Result of `session.resume_inactivity`. */
export interface SessionResumeInactivityResult {
  /** `resumed`. */
  status: string;
}

/** Payload of `calcom.slots`. */
export interface CalcomSlotsInput {
  credential: string;
  event_type_id: number;
  /** First day to search, `YYYY-MM-DD` (in `time_zone`). */
  start: string;
  /** Last day to search, `YYYY-MM-DD`; absent means `start` + `days_ahead` days. */
  end?: string;
  days_ahead: number;
  /** IANA time zone the dates and returned slots are expressed in. */
  time_zone: string;
  /** Slot length for event types with several durations. */
  duration_minutes?: number;
  /** Return at most this many slots (earliest first): a voice agent cannot read out fifty. */
  max_slots: number;
}
/** Result of `calcom.slots`. */
export interface CalcomSlotsResult {
  available: boolean;
  /** Earliest first, at most `max_slots`; ISO 8601 with offset in `time_zone`. */
  slots: { start: string; end: string }[];
  time_zone: string;
}

/** Payload of `calcom.book`. */
export interface CalcomBookInput {
  credential: string;
  event_type_id: number;
  /** ISO 8601; without an offset it is wall time in `time_zone`. The worker sends it as UTC. */
  start: string;
  time_zone: string;
  attendee: { name: string; email: string; phone_number?: string; time_zone: string };
  /** Sent as `bookingFieldsResponses.notes`. */
  notes?: string;
  /** Static metadata from the configuration; the worker adds its idempotency key (`switchboard_key`). */
  metadata?: Record<string, string>;
}
/** Result of `calcom.book`. */
export interface CalcomBookResult {
  booking_id: number;
  booking_uid: string;
  status: string;
  start: string;
  end: string;
}

/** Payload of `sms.send`. Exactly one of `from` / `messaging_service_sid`. */
export interface SmsSendInput {
  credential: string;
  /** E.164 (checked by the chain before the step runs). */
  to: string;
  from?: string;
  messaging_service_sid?: string;
  body: TextParts;
}
/** Result of `sms.send`. */
export interface SmsSendResult {
  message_sid: string;
  status: string;
}

/** How a CRM contact is identified: by id, else e-mail, else phone (first present wins). */
export interface CrmContactRef {
  id?: string;
  email?: string;
  phone?: string;
}

/** Payload of `crm.lookup`. At least one of `phone` / `email` (else fail `crm_missing_identifier`). */
export interface CrmLookupInput {
  credential: string;
  phone?: string;
  email?: string;
  /** HubSpot property names to return. */
  properties: string[];
}
/** Result of `crm.lookup`. */
export interface CrmLookupResult {
  found: boolean;
  contact_id: string | null;
  /** The requested properties of the first match; `{}` when not found. */
  properties: Record<string, JsonValue>;
  total: number;
}

/** Payload of `crm.update`. Properties whose joined text is empty are not sent (never cleared). */
export interface CrmUpdateInput {
  credential: string;
  contact: CrmContactRef;
  properties: Record<string, TextParts>;
}
/** Result of `crm.update`. */
export interface CrmUpdateResult {
  contact_id: string;
  updated_properties: string[];
}

/** Payload of `crm.ticket`. */
export interface CrmTicketInput {
  credential: string;
  subject: TextParts;
  content: TextParts;
  /** `hs_pipeline`. */
  pipeline: string;
  /** `hs_pipeline_stage`. */
  stage: string;
  /** `hs_ticket_priority`. */
  priority?: 'LOW' | 'MEDIUM' | 'HIGH';
  /** Associate the ticket with this contact when it can be resolved (absent: no association). */
  contact?: CrmContactRef;
}
/** Result of `crm.ticket`. */
export interface CrmTicketResult {
  ticket_id: string;
}

/** Authentication of an `http.request`, always by credential reference. */
export type HttpAuth =
  | { type: 'none' }
  /** `Authorization: Bearer <secret>` (the worker adds `Bearer ` unless the secret has it). */
  | { type: 'bearer'; credential: string }
  /** `Authorization: Basic base64(user:password)`; the worker refuses it over plain http. */
  | { type: 'basic'; credential: string }
  /** The secret in the named header; never in the URL. */
  | { type: 'api_key'; credential: string; header: string }
  /**
   * `Authorization: Bearer <access token>` from the OAuth2 client-credentials grant; the
   * credential holds the token URL, client id and secret, scope (see `oauth2.ts`).
   */
  | { type: 'oauth2'; credential: string };

/** Payload of `http.request`. */
export interface HttpRequestInput {
  /** Tenant endpoint name; its URL is the base the path is appended to. */
  endpoint: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Appended to the endpoint URL with {@link buildRequestPath}; absent: the endpoint URL as is. */
  path?: PathPart[];
  /** Query parameters; `null` values are left out, others rendered like template text. */
  query?: Record<string, JsonValue>;
  /** Literal, non-secret headers. */
  headers: Record<string, string>;
  auth: HttpAuth;
  /** JSON body (POST, PUT, PATCH only). */
  body?: JsonValue;
  timeout_ms: number;
  /** When present the result is {@link applyResponseMapping}(response, mapping); else the parsed response. */
  response_mapping?: Record<string, string>;
}
