/**
 * A typed client for the parts of the Twilio REST API 2010-04-01 the telephony worker uses:
 * Messages (create, fetch, list), Calls (fetch, list, update), Conferences (list, fetch,
 * update) and Conference Participants (create, fetch, update).
 *
 * Requests follow the published OpenAPI description: HTTP Basic with the account SID and auth
 * token, `application/x-www-form-urlencoded` bodies with repeated keys for list parameters,
 * booleans as `true`/`false`, and the `x-twilio.conditional` rules (one of `From` /
 * `MessagingServiceSid`, one of `Body` / `MediaUrl` / `ContentSid`; `Twiml` and `Url`
 * mutually exclusive) checked before anything is sent. Non-2xx answers become
 * {@link ProviderError}s classified by `errorForStatus`, carrying Twilio's own `message` and
 * `code` (in `details.twilio_code`). Retrying is the caller's business (Temporal's).
 */
import { errorForStatus, ProviderError, ProviderErrorCodes, type ProviderHttp } from '@switchboard/providers';
import { MAX_TWIML_LENGTH } from './twiml.js';

/** Provider name used in errors and spans. */
export const TWILIO = 'twilio';

/** A form value: strings as they are, numbers in decimal, booleans as `true` / `false`. */
export type FormValue = string | number | boolean;
/** Form parameters; an array is sent as a repeated key, `undefined` is left out. */
export type FormParams = Readonly<Record<string, FormValue | readonly FormValue[] | undefined>>;

/**
 * Encodes `application/x-www-form-urlencoded` the way Twilio reads it: UTF-8, `+` for spaces,
 * a repeated key per list element (`MediaUrl=a&MediaUrl=b`), keys in the given order.
 * (Unpaired surrogates, which no HTTP body can carry, become U+FFFD.)
 */
export function encodeForm(params: FormParams): string {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const list: readonly FormValue[] = Array.isArray(value) ? value : [value as FormValue];
    for (const item of list) out.append(key, String(item));
  }
  return out.toString();
}

/** Twilio's error body. */
export interface TwilioErrorBody {
  code?: number;
  message?: string;
  more_info?: string;
  status?: number;
}

/** Twilio's numeric error code of a failure from this client (`21211`, `21220`…), if any. */
export function twilioErrorCode(err: unknown): number | undefined {
  if (!(err instanceof ProviderError)) return undefined;
  const code = err.details?.twilio_code;
  return typeof code === 'number' ? code : undefined;
}

/** Call status values. */
export type TwilioCallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/** The final call statuses. */
export const FINAL_CALL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

/** The message resource (the fields the worker reads). */
export interface TwilioMessage {
  sid: string;
  status: string;
  to: string;
  from: string | null;
  body: string;
  direction: string;
  messaging_service_sid: string | null;
  /** RFC 2822, e.g. `Wed, 18 Aug 2010 20:01:40 +0000`. */
  date_created: string | null;
  date_sent: string | null;
  error_code: number | null;
  error_message: string | null;
}

/** The call resource (the fields the worker reads). */
export interface TwilioCall {
  sid: string;
  status: TwilioCallStatus;
  to: string;
  from: string;
  direction: string;
  parent_call_sid: string | null;
  date_created: string | null;
  start_time: string | null;
  end_time: string | null;
}

/** The conference resource. */
export interface TwilioConference {
  sid: string;
  friendly_name: string;
  status: 'init' | 'in-progress' | 'completed';
  date_created: string | null;
}

/** The conference participant resource. */
export interface TwilioParticipant {
  call_sid: string;
  conference_sid: string;
  label: string | null;
  status: 'queued' | 'connecting' | 'ringing' | 'connected' | 'complete' | 'failed';
  hold: boolean;
  muted: boolean;
  end_conference_on_exit: boolean;
  start_conference_on_enter: boolean;
  date_created: string | null;
}

/** `POST Messages.json`. */
export interface SendMessageParams {
  /** E.164. */
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body?: string;
  mediaUrl?: readonly string[];
  contentSid?: string;
  statusCallback?: string;
}

/** `GET Messages.json` filters (first page only). */
export interface ListMessagesParams {
  to?: string;
  from?: string;
  pageSize?: number;
}

/** `POST Calls/{Sid}.json`: exactly one of `twiml`, `url`, `status`. */
export interface UpdateCallParams {
  twiml?: string;
  url?: string;
  method?: 'GET' | 'POST';
  status?: 'completed' | 'canceled';
}

/** `GET Calls.json` filters (first page only). */
export interface ListCallsParams {
  to?: string;
  from?: string;
  parentCallSid?: string;
  status?: TwilioCallStatus;
  pageSize?: number;
}

/** `POST Conferences/{ConferenceSid}/Participants.json`. */
export interface CreateParticipantParams {
  from: string;
  /** E.164, `sip:` URI or `client:` identity. */
  to: string;
  label?: string;
  /** Seconds to ring, 5–600. */
  timeout?: number;
  beep?: 'true' | 'false' | 'onEnter' | 'onExit';
  earlyMedia?: boolean;
  startConferenceOnEnter?: boolean;
  endConferenceOnExit?: boolean;
  muted?: boolean;
  waitUrl?: string;
  statusCallback?: string;
}

/** `POST Conferences/{ConferenceSid}/Participants/{CallSid}.json`. */
export interface UpdateParticipantParams {
  hold?: boolean;
  holdUrl?: string;
  holdMethod?: 'GET' | 'POST';
  announceUrl?: string;
  announceMethod?: 'GET' | 'POST';
  muted?: boolean;
  endConferenceOnExit?: boolean;
  beepOnExit?: boolean;
}

/** `POST Conferences/{Sid}.json`. */
export interface UpdateConferenceParams {
  status?: 'completed';
  announceUrl?: string;
  announceMethod?: 'GET' | 'POST';
}

/** Options of {@link createTwilioClient}. */
export interface TwilioClientOptions {
  http: ProviderHttp;
  /** `https://api.twilio.com` or a sandbox URL; a trailing slash is ignored. */
  baseUrl: string;
  /** `AC` + 32 hex digits. */
  accountSid: string;
  authToken: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

/** The Twilio operations of the telephony worker. */
export interface TwilioClient {
  readonly accountSid: string;
  sendMessage(p: SendMessageParams): Promise<TwilioMessage>;
  fetchMessage(sid: string): Promise<TwilioMessage>;
  /** Newest first; the first page only. */
  listMessages(p?: ListMessagesParams): Promise<TwilioMessage[]>;
  fetchCall(sid: string): Promise<TwilioCall>;
  /** Newest first; the first page only. */
  listCalls(p?: ListCallsParams): Promise<TwilioCall[]>;
  updateCall(sid: string, p: UpdateCallParams): Promise<TwilioCall>;
  listConferences(p?: {
    friendlyName?: string;
    status?: TwilioConference['status'];
    pageSize?: number;
  }): Promise<TwilioConference[]>;
  fetchConference(sid: string): Promise<TwilioConference>;
  updateConference(sid: string, p: UpdateConferenceParams): Promise<TwilioConference>;
  /** `conference` is a `CF…` SID or a friendly name (Twilio then creates the conference if needed). */
  createParticipant(conference: string, p: CreateParticipantParams): Promise<TwilioParticipant>;
  /** `participant` is the participant's `CA…` call SID or its label. */
  fetchParticipant(conferenceSid: string, participant: string): Promise<TwilioParticipant>;
  updateParticipant(conferenceSid: string, participant: string, p: UpdateParticipantParams): Promise<TwilioParticipant>;
}

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const CONFERENCE_SID = /^CF[0-9a-fA-F]{32}$/;
const MESSAGE_SID = /^(SM|MM)[0-9a-fA-F]{32}$/;
const MG_SID = /^MG[0-9a-fA-F]{32}$/;

function invalid(message: string): ProviderError {
  return new ProviderError(TWILIO, ProviderErrorCodes.InvalidInput, message, { retryable: false });
}

function requirePattern(value: string, pattern: RegExp, what: string): void {
  if (!pattern.test(value)) throw invalid(`${what} '${value}' is not valid`);
}

/** Creates a Twilio client for one account. Never logs or reports the auth token. */
export function createTwilioClient(o: TwilioClientOptions): TwilioClient {
  requirePattern(o.accountSid, ACCOUNT_SID, 'Twilio account SID');
  if (o.authToken === '') throw invalid('the Twilio auth token is empty');
  const base = `${o.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${o.accountSid}`;
  const authorization = `Basic ${Buffer.from(`${o.accountSid}:${o.authToken}`, 'utf8').toString('base64')}`;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const seg = encodeURIComponent;

  async function request<T>(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    params?: { query?: FormParams; form?: FormParams },
  ): Promise<T> {
    const query = params?.query ? encodeForm(params.query) : '';
    const body = params?.form ? encodeForm(params.form) : undefined;
    const res = await o.http.send({
      provider: TWILIO,
      operation,
      method,
      url: `${base}${path}${query === '' ? '' : `?${query}`}`,
      headers: {
        authorization,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      timeoutMs,
    });
    if (res.status >= 200 && res.status < 300) return res.json<T>();
    throw twilioFailure(res.status, res.text, res.headers);
  }

  return {
    accountSid: o.accountSid,

    async sendMessage(p) {
      const hasFrom = p.from !== undefined && p.from !== '';
      const hasService = p.messagingServiceSid !== undefined && p.messagingServiceSid !== '';
      if (hasFrom === hasService) throw invalid("a message needs exactly one of 'from' and 'messagingServiceSid'");
      if (hasService) requirePattern(p.messagingServiceSid as string, MG_SID, 'Messaging Service SID');
      const contents = [
        p.body !== undefined && p.body !== '',
        (p.mediaUrl?.length ?? 0) > 0,
        p.contentSid !== undefined,
      ];
      if (!contents.some(Boolean)) throw invalid("a message needs 'body', 'mediaUrl' or 'contentSid'");
      return request<TwilioMessage>('twilio.messages.create', 'POST', '/Messages.json', {
        form: {
          To: p.to,
          From: hasFrom ? p.from : undefined,
          MessagingServiceSid: hasService ? p.messagingServiceSid : undefined,
          Body: p.body,
          MediaUrl: p.mediaUrl,
          ContentSid: p.contentSid,
          StatusCallback: p.statusCallback,
        },
      });
    },

    async fetchMessage(sid) {
      requirePattern(sid, MESSAGE_SID, 'message SID');
      return request<TwilioMessage>('twilio.messages.fetch', 'GET', `/Messages/${seg(sid)}.json`);
    },

    async listMessages(p = {}) {
      const page = await request<{ messages?: TwilioMessage[] }>('twilio.messages.list', 'GET', '/Messages.json', {
        query: { To: p.to, From: p.from, PageSize: p.pageSize ?? 50 },
      });
      return page.messages ?? [];
    },

    async fetchCall(sid) {
      requirePattern(sid, CALL_SID, 'call SID');
      return request<TwilioCall>('twilio.calls.fetch', 'GET', `/Calls/${seg(sid)}.json`);
    },

    async listCalls(p = {}) {
      if (p.parentCallSid !== undefined) requirePattern(p.parentCallSid, CALL_SID, 'parent call SID');
      const page = await request<{ calls?: TwilioCall[] }>('twilio.calls.list', 'GET', '/Calls.json', {
        query: { To: p.to, From: p.from, ParentCallSid: p.parentCallSid, Status: p.status, PageSize: p.pageSize ?? 50 },
      });
      return page.calls ?? [];
    },

    async updateCall(sid, p) {
      requirePattern(sid, CALL_SID, 'call SID');
      const given = [p.twiml, p.url, p.status].filter((v) => v !== undefined).length;
      if (given !== 1) throw invalid("a call update needs exactly one of 'twiml', 'url' and 'status'");
      if (p.twiml !== undefined && p.twiml.length > MAX_TWIML_LENGTH) {
        throw invalid(`the TwiML is ${p.twiml.length} characters; Twilio accepts at most ${MAX_TWIML_LENGTH}`);
      }
      return request<TwilioCall>('twilio.calls.update', 'POST', `/Calls/${seg(sid)}.json`, {
        form: {
          Twiml: p.twiml,
          Url: p.url,
          Method: p.url !== undefined ? (p.method ?? 'POST') : undefined,
          Status: p.status,
        },
      });
    },

    async listConferences(p = {}) {
      const page = await request<{ conferences?: TwilioConference[] }>(
        'twilio.conferences.list',
        'GET',
        '/Conferences.json',
        { query: { FriendlyName: p.friendlyName, Status: p.status, PageSize: p.pageSize ?? 20 } },
      );
      return page.conferences ?? [];
    },

    async fetchConference(sid) {
      requirePattern(sid, CONFERENCE_SID, 'conference SID');
      return request<TwilioConference>('twilio.conferences.fetch', 'GET', `/Conferences/${seg(sid)}.json`);
    },

    async updateConference(sid, p) {
      requirePattern(sid, CONFERENCE_SID, 'conference SID');
      return request<TwilioConference>('twilio.conferences.update', 'POST', `/Conferences/${seg(sid)}.json`, {
        form: { Status: p.status, AnnounceUrl: p.announceUrl, AnnounceMethod: p.announceMethod },
      });
    },

    async createParticipant(conference, p) {
      if (conference === '') throw invalid('a conference SID or name is required');
      if (p.timeout !== undefined && (!Number.isInteger(p.timeout) || p.timeout < 5 || p.timeout > 600)) {
        throw invalid(`a participant ring timeout is 5 to 600 seconds, not ${p.timeout}`);
      }
      return request<TwilioParticipant>(
        'twilio.participants.create',
        'POST',
        `/Conferences/${seg(conference)}/Participants.json`,
        {
          form: {
            From: p.from,
            To: p.to,
            Label: p.label,
            Timeout: p.timeout,
            Beep: p.beep,
            EarlyMedia: p.earlyMedia,
            StartConferenceOnEnter: p.startConferenceOnEnter,
            EndConferenceOnExit: p.endConferenceOnExit,
            Muted: p.muted,
            WaitUrl: p.waitUrl,
            StatusCallback: p.statusCallback,
          },
        },
      );
    },

    async fetchParticipant(conferenceSid, participant) {
      requirePattern(conferenceSid, CONFERENCE_SID, 'conference SID');
      return request<TwilioParticipant>(
        'twilio.participants.fetch',
        'GET',
        `/Conferences/${seg(conferenceSid)}/Participants/${seg(participant)}.json`,
      );
    },

    async updateParticipant(conferenceSid, participant, p) {
      requirePattern(conferenceSid, CONFERENCE_SID, 'conference SID');
      return request<TwilioParticipant>(
        'twilio.participants.update',
        'POST',
        `/Conferences/${seg(conferenceSid)}/Participants/${seg(participant)}.json`,
        {
          form: {
            Hold: p.hold,
            HoldUrl: p.holdUrl,
            HoldMethod: p.holdMethod,
            AnnounceUrl: p.announceUrl,
            AnnounceMethod: p.announceMethod,
            Muted: p.muted,
            EndConferenceOnExit: p.endConferenceOnExit,
            BeepOnExit: p.beepOnExit,
          },
        },
      );
    },
  };
}

/**
 * The error for a non-2xx Twilio answer: classified by HTTP status (429/5xx retryable, 401/403
 * auth, 404 not found, other 4xx rejected), described with Twilio's message and code.
 */
export function twilioFailure(
  status: number,
  text: string,
  headers?: { get(name: string): string | null },
): ProviderError {
  let parsed: TwilioErrorBody = {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object') parsed = value as TwilioErrorBody;
  } catch {
    // Not JSON (a proxy's HTML page): the status alone classifies it.
  }
  const code = typeof parsed.code === 'number' ? parsed.code : undefined;
  const message = typeof parsed.message === 'string' ? parsed.message.slice(0, 500) : '';
  const detail =
    message === ''
      ? code === undefined
        ? ''
        : `Twilio error ${code}`
      : code === undefined
        ? message
        : `${message} (Twilio error ${code})`;
  const base = errorForStatus(TWILIO, status, detail, headers);
  return new ProviderError(TWILIO, base.code, base.message, {
    retryable: base.retryable,
    httpStatus: status,
    ...(base.retryAfterMs !== undefined ? { retryAfterMs: base.retryAfterMs } : {}),
    details: {
      http_status: status,
      ...(code !== undefined ? { twilio_code: code } : {}),
      ...(typeof parsed.more_info === 'string' ? { more_info: parsed.more_info } : {}),
    },
  });
}
