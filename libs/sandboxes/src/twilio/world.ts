/**
 * The simulated Twilio account state behind the sandbox: messages, live calls, `<Dial>` legs,
 * conferences and their participants. Everything that takes time on a real network (delivery,
 * ringing) happens on timers so tests can watch status change; everything a call "does" is
 * recorded (`doing` now, `history` in order) so tests can assert what a caller heard.
 */
import { randomBytes } from 'node:crypto';
import { type DialTarget, parseTwiml, TwimlParseError, type TwimlVerb } from './twiml.js';

/** A Twilio REST error: HTTP status plus Twilio's numeric code. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  /** The JSON body Twilio sends with an error. */
  body(): { code: number; message: string; more_info: string; status: number } {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

/** What a rung destination does. */
export type DestinationBehaviour = 'answer' | 'busy' | 'no-answer' | 'failed';

/** How a destination (E.164 number or SIP URI) reacts when the sandbox rings it. */
export interface DestinationRule {
  behaviour: DestinationBehaviour;
  /** When the outcome happens after ringing starts; `no-answer` defaults to the ring timeout. */
  afterMs?: number;
  /**
   * An answered leg hangs up this long after an announcement (a whisper, `AnnounceUrl`) starts
   * playing to it: the person heard who is calling and declined. Absent: stays on the line.
   */
  hangUpAfterAnnouncementMs?: number;
}

/** Timing of simulated network events. */
export interface SandboxTiming {
  /** Ringing time before a destination answers, is busy or fails (default 100 ms). */
  ringMs: number;
  /** Time between message status steps queued → sent → delivered (default 50 ms). */
  messageStepMs: number;
  /**
   * Time a `<Say>` takes per character (default 0: said at once). The verbs after it (a
   * `<Dial>` into a conference…) run only once it has been said.
   */
  sayMsPerChar: number;
}

/** Call status values (Twilio `call_enum_status`). */
export type CallStatus =
  | 'queued'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/** What a call is doing (or did: see `history`). */
export type CallActivity =
  /** Answered by the application behind the number (the voice agent); initial state of a seeded call. */
  | { kind: 'agent' }
  /** An outbound leg (participant or `<Dial>` child) that has not been answered. */
  | { kind: 'ringing'; to: string }
  /** An outbound leg that answered. */
  | { kind: 'answered' }
  | { kind: 'say'; text: string; voice?: string; language?: string }
  | { kind: 'play'; url: string }
  | { kind: 'pause'; seconds: number }
  /** Control moved to a TwiML URL (a `<Redirect>` or `Url`); the sandbox does not fetch it. */
  | { kind: 'url'; url: string; method: string }
  | {
      kind: 'dial';
      target: DialTarget;
      /** Every target of the `<Dial>` (the sandbox rings the first). */
      targets: DialTarget[];
      timeout: number;
      callerId?: string;
      childCallSid: string;
      /** `ringing`, `bridged`, then how the leg ended. */
      outcome: 'ringing' | 'bridged' | CallStatus;
    }
  | {
      kind: 'conference';
      name: string;
      conferenceSid: string;
      startConferenceOnEnter: boolean;
      endConferenceOnExit: boolean;
      beep: string;
      waitUrl?: string;
    }
  | { kind: 'hangup' }
  | { kind: 'ended'; status: CallStatus };

interface CallRec {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound-api' | 'outbound-dial';
  status: CallStatus;
  parentCallSid: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  startTime: Date | null;
  endTime: Date | null;
  doing: CallActivity;
  history: CallActivity[];
  /** Every TwiML document the call was given through the API. */
  twiml: string[];
  /** Verbs after the one the call is blocked in (`<Dial>`), run when it finishes. */
  pending: TwimlVerb[];
  conferenceSid: string | undefined;
  dialChild: string | undefined;
  timers: Set<NodeJS.Timeout>;
}

/** A recorded announcement to a participant (`AnnounceUrl`). */
export interface Announcement {
  url: string;
  method: string;
  /** The text of a message Twimlet URL (`Message[0]=…`), or a `text`/`Message` query value, when present. */
  text: string | null;
  at: string;
}

interface ParticipantRec {
  callSid: string;
  label: string | null;
  status: 'queued' | 'connecting' | 'ringing' | 'connected' | 'complete' | 'failed';
  hold: boolean;
  holdUrl: string | null;
  holdMethod: string | null;
  muted: boolean;
  beep: string;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  waitUrl: string | null;
  coaching: boolean;
  callSidToCoach: string | null;
  earlyMedia: boolean | null;
  timeout: number | null;
  from: string | null;
  to: string | null;
  announcements: Announcement[];
  /** `twiml` when the call joined with `<Dial><Conference>`, `api` when created as a participant. */
  joinedVia: 'twiml' | 'api';
  dateCreated: Date;
  dateUpdated: Date;
  /** The leg's final call status, once it left. */
  finalCallStatus?: CallStatus;
}

interface ConferenceRec {
  sid: string;
  accountSid: string;
  friendlyName: string;
  status: 'init' | 'in-progress' | 'completed';
  dateCreated: Date;
  dateUpdated: Date;
  participants: Map<string, ParticipantRec>;
  left: ParticipantRec[];
  reasonEnded: string | null;
  callSidEndingConference: string | null;
  announcements: Announcement[];
}

interface MessageRec {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  mediaUrls: string[];
  status: string;
  statusCallback: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  errorCode: number | null;
  errorMessage: string | null;
}

/** One status callback the sandbox POSTed (or tried to). */
export interface CallbackDelivery {
  url: string;
  params: Record<string, string>;
  signature: string;
  /** HTTP status of the answer, or `null` when the request failed. */
  status: number | null;
  error?: string;
  at: string;
}

const API = '/2010-04-01';
const E164 = /^\+[1-9][0-9]{7,14}$/;
const SIP = /^sips?:[^\s@]+@[^\s@]+$/i;

/** `SM…`, `CA…`, `CF…`: a two-letter prefix and 32 hex digits, like Twilio's SIDs. */
export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Twilio's RFC 2822 dates: `Wed, 18 Aug 2010 20:01:40 +0000`. */
function twilioDate(d: Date | null): string | null {
  return d === null ? null : d.toUTCString().replace('GMT', '+0000');
}

const CALL_ENDED: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/** Magic `To` numbers, after Twilio's test credentials, that fail the way real numbers can. */
const MAGIC_TO: Readonly<Record<string, [number, string]>> = {
  '+15005550001': [21211, "The 'To' number +15005550001 is not a valid phone number."],
  '+15005550002': [
    21612,
    "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number.",
  ],
  '+15005550003': [21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number.'],
  '+15005550004': [21610, 'Attempt to send to unsubscribed recipient'],
  '+15005550009': [21614, "'To' number is not a valid mobile number"],
};

/** Decoded form fields, repeated keys as lists. */
export type Fields = Record<string, string[]>;

const one = (f: Fields, key: string): string | undefined => f[key]?.[f[key].length - 1];

function bool(f: Fields, key: string): boolean | undefined {
  const v = one(f, key);
  if (v === undefined) return undefined;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new TwilioApiError(400, 20001, `Invalid value '${v}' for ${key}: expected true or false`);
}

function int(f: Fields, key: string, min: number, max: number): number | undefined {
  const v = one(f, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?[0-9]+$/.test(v) || n < min || n > max) {
    throw new TwilioApiError(400, 20001, `Invalid value '${v}' for ${key}: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function absoluteUrl(f: Fields, key: string): string | undefined {
  const v = one(f, key);
  if (v === undefined) return undefined;
  if (!/^https?:\/\/[^\s/?#]+/i.test(v)) throw new TwilioApiError(400, 21205, `${key} is not a valid URL: ${v}`);
  return v;
}

function announceText(url: string): string | null {
  try {
    const q = new URL(url).searchParams;
    return q.get('Message[0]') ?? q.get('Message') ?? q.get('text');
  } catch {
    return null;
  }
}

/** The sandbox's world: accounts and everything they own. */
export class TwilioWorld {
  readonly messages = new Map<string, MessageRec>();
  readonly calls = new Map<string, CallRec>();
  readonly conferences = new Map<string, ConferenceRec>();
  readonly callbacks: CallbackDelivery[] = [];
  readonly destinations = new Map<string, DestinationRule>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly accounts: ReadonlyMap<string, string>,
    readonly timing: SandboxTiming,
    private readonly deliverCallback: (accountSid: string, url: string, params: Record<string, string>) => void,
  ) {}

  /** Drops all state and pending timers (accounts stay). */
  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const call of this.calls.values()) for (const t of call.timers) clearTimeout(t);
    this.messages.clear();
    this.calls.clear();
    this.conferences.clear();
    this.callbacks.length = 0;
    this.destinations.clear();
  }

  private later(ms: number, fn: () => void, call?: CallRec): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      call?.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    call?.timers.add(t);
  }

  // ---------------------------------------------------------------- messages

  createMessage(accountSid: string, f: Fields): MessageRec {
    const to = one(f, 'To');
    const from = one(f, 'From');
    const service = one(f, 'MessagingServiceSid');
    const body = one(f, 'Body');
    const media = f.MediaUrl ?? [];
    const content = one(f, 'ContentSid');
    if (to === undefined || to === '') throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
    if ((from === undefined || from === '') && (service === undefined || service === '')) {
      throw new TwilioApiError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.");
    }
    if ((body === undefined || body === '') && media.length === 0 && content === undefined) {
      throw new TwilioApiError(400, 21602, 'Message body is required.');
    }
    if (!E164.test(to)) throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    const magic = MAGIC_TO[to];
    if (magic) throw new TwilioApiError(400, magic[0], magic[1]);
    if (from !== undefined && from !== '' && !E164.test(from) && !/^[A-Za-z0-9 ]{1,11}$/.test(from)) {
      throw new TwilioApiError(400, 21212, `Invalid From Number (caller ID): ${from}`);
    }
    if (service !== undefined && service !== '' && !/^MG[0-9a-fA-F]{32}$/.test(service)) {
      throw new TwilioApiError(400, 21701, `The Messaging Service Sid ${service} is invalid.`);
    }
    if (body !== undefined && [...body].length > 1600) {
      throw new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    const statusCallback = absoluteUrl(f, 'StatusCallback') ?? null;
    const now = new Date();
    const msg: MessageRec = {
      sid: newSid(media.length > 0 ? 'MM' : 'SM'),
      accountSid,
      to,
      from: from !== undefined && from !== '' ? from : null,
      messagingServiceSid: service !== undefined && service !== '' ? service : null,
      body: body ?? '',
      mediaUrls: [...media],
      // A Messaging Service accepts the message first, then picks a sender.
      status: from !== undefined && from !== '' ? 'queued' : 'accepted',
      statusCallback,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
      errorCode: null,
      errorMessage: null,
    };
    this.messages.set(msg.sid, msg);
    const steps = ['queued', 'sent', 'delivered'].slice(msg.status === 'queued' ? 1 : 0);
    const advance = (i: number) => {
      const next = steps[i];
      if (next === undefined || !this.messages.has(msg.sid)) return;
      this.later(this.timing.messageStepMs, () => {
        if (!this.messages.has(msg.sid)) return;
        msg.status = next;
        msg.dateUpdated = new Date();
        if (next === 'queued' && msg.from === null) msg.from = '+15005550006';
        if (next === 'sent') msg.dateSent = msg.dateUpdated;
        this.messageCallback(msg);
        advance(i + 1);
      });
    };
    advance(0);
    return msg;
  }

  private messageCallback(msg: MessageRec): void {
    if (msg.statusCallback === null) return;
    const params: Record<string, string> = {
      AccountSid: msg.accountSid,
      ApiVersion: '2010-04-01',
      From: msg.from ?? '',
      MessageSid: msg.sid,
      MessageStatus: msg.status,
      SmsSid: msg.sid,
      SmsStatus: msg.status,
      To: msg.to,
    };
    if (msg.messagingServiceSid !== null) params.MessagingServiceSid = msg.messagingServiceSid;
    this.deliverCallback(msg.accountSid, msg.statusCallback, params);
  }

  message(accountSid: string, sid: string): MessageRec {
    const msg = this.messages.get(sid);
    if (!msg || msg.accountSid !== accountSid) throw notFound(`${API}/Accounts/${accountSid}/Messages/${sid}.json`);
    return msg;
  }

  /** Messages of the account, newest first, filtered like `GET Messages.json`. */
  listMessages(accountSid: string, q: Fields): MessageRec[] {
    const to = one(q, 'To');
    const from = one(q, 'From');
    const on = one(q, 'DateSent');
    const before = one(q, 'DateSent<');
    const after = one(q, 'DateSent>');
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const bound = (v: string) => (v.length === 10 ? v : new Date(v).toISOString());
    return [...this.messages.values()]
      .filter((m) => m.accountSid === accountSid)
      .filter((m) => to === undefined || m.to === to)
      .filter((m) => from === undefined || m.from === from)
      .filter((m) => on === undefined || (m.dateSent !== null && day(m.dateSent) === on.slice(0, 10)))
      .filter(
        (m) =>
          before === undefined ||
          (m.dateSent !== null && (before.length === 10 ? day(m.dateSent) : m.dateSent.toISOString()) <= bound(before)),
      )
      .filter(
        (m) =>
          after === undefined ||
          (m.dateSent !== null && (after.length === 10 ? day(m.dateSent) : m.dateSent.toISOString()) >= bound(after)),
      )
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  }

  messageJson(m: MessageRec): Record<string, unknown> {
    const uri = `${API}/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
    const ucs2 = [...m.body].some((c) => !GSM7.has(c));
    const length = [...m.body].length;
    const segments = length <= (ucs2 ? 70 : 160) ? 1 : Math.ceil(length / (ucs2 ? 67 : 153));
    return {
      account_sid: m.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: twilioDate(m.dateCreated),
      date_sent: twilioDate(m.dateSent),
      date_updated: twilioDate(m.dateUpdated),
      direction: 'outbound-api',
      error_code: m.errorCode,
      error_message: m.errorMessage,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: String(m.mediaUrls.length),
      num_segments: String(segments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: uri.replace('.json', '/Media.json') },
      to: m.to,
      uri,
    };
  }

  // ---------------------------------------------------------------- calls

  /** Seeds a live (in-progress) call, as if someone had called a number of the account. */
  seedCall(
    accountSid: string,
    o: { from?: string; to?: string; direction?: 'inbound' | 'outbound-api'; sid?: string } = {},
  ): CallRec {
    if (!this.accounts.has(accountSid)) throw new TwilioApiError(404, 20404, `Account ${accountSid} not found`);
    const sid = o.sid ?? newSid('CA');
    if (!/^CA[0-9a-fA-F]{32}$/.test(sid)) throw new TwilioApiError(400, 20001, `Invalid call sid ${sid}`);
    if (this.calls.has(sid)) throw new TwilioApiError(409, 20001, `Call ${sid} already exists`);
    const now = new Date();
    const call: CallRec = {
      sid,
      accountSid,
      from: o.from ?? '+15550100001',
      to: o.to ?? '+15550100002',
      direction: o.direction ?? 'inbound',
      status: 'in-progress',
      parentCallSid: null,
      dateCreated: now,
      dateUpdated: now,
      startTime: now,
      endTime: null,
      doing: { kind: 'agent' },
      history: [{ kind: 'agent' }],
      twiml: [],
      pending: [],
      conferenceSid: undefined,
      dialChild: undefined,
      timers: new Set(),
    };
    this.calls.set(sid, call);
    return call;
  }

  call(accountSid: string, sid: string): CallRec {
    const call = this.calls.get(sid);
    if (!call || call.accountSid !== accountSid) throw notFound(`${API}/Accounts/${accountSid}/Calls/${sid}.json`);
    return call;
  }

  listCalls(accountSid: string, q: Fields): CallRec[] {
    const to = one(q, 'To');
    const from = one(q, 'From');
    const parent = one(q, 'ParentCallSid');
    const status = one(q, 'Status');
    return [...this.calls.values()]
      .filter((c) => c.accountSid === accountSid)
      .filter((c) => to === undefined || c.to === to)
      .filter((c) => from === undefined || c.from === from)
      .filter((c) => parent === undefined || c.parentCallSid === parent)
      .filter((c) => status === undefined || c.status === status)
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  }

  /** `POST Calls/{Sid}.json`: redirect (`Twiml` or `Url`) or end (`Status`) a call. */
  updateCall(accountSid: string, sid: string, f: Fields): CallRec {
    const call = this.call(accountSid, sid);
    const twiml = one(f, 'Twiml');
    const url = absoluteUrl(f, 'Url');
    const status = one(f, 'Status');
    const method = (one(f, 'Method') ?? 'POST').toUpperCase();
    absoluteUrl(f, 'StatusCallback');
    absoluteUrl(f, 'FallbackUrl');
    if (method !== 'GET' && method !== 'POST') throw new TwilioApiError(400, 20001, `Invalid Method ${method}`);
    if (twiml !== undefined && url !== undefined) {
      throw new TwilioApiError(400, 20001, 'Twiml and Url are mutually exclusive; send one of them.');
    }
    if (status !== undefined && status !== 'completed' && status !== 'canceled') {
      throw new TwilioApiError(400, 20001, `Invalid Status '${status}': expected completed or canceled`);
    }
    if (twiml === undefined && url === undefined && status === undefined) return call;
    if (status !== undefined) {
      if (CALL_ENDED.has(call.status)) return call;
      const unanswered = call.status === 'queued' || call.status === 'ringing';
      // `canceled` only stops a call that has not been answered (Twilio ignores it otherwise).
      if (status === 'canceled' && !unanswered) return call;
      this.endCall(call, unanswered ? 'canceled' : 'completed');
      return call;
    }
    if (CALL_ENDED.has(call.status)) {
      throw new TwilioApiError(400, 21220, 'Call is not in-progress. Cannot redirect.');
    }
    let verbs: TwimlVerb[] | undefined;
    if (twiml !== undefined) {
      if (twiml.length > 4000) throw new TwilioApiError(400, 20001, 'Twiml is longer than 4000 characters.');
      try {
        verbs = parseTwiml(twiml);
      } catch (err) {
        if (err instanceof TwimlParseError)
          throw new TwilioApiError(400, 12100, `Document parse failure: ${err.message}`);
        throw err;
      }
    }
    this.detach(call);
    call.dateUpdated = new Date();
    if (verbs !== undefined && twiml !== undefined) {
      call.twiml.push(twiml);
      this.run(call, verbs);
    } else if (url !== undefined) {
      this.act(call, { kind: 'url', url, method });
    }
    return call;
  }

  private act(call: CallRec, activity: CallActivity): void {
    call.doing = activity;
    call.history.push(activity);
    call.dateUpdated = new Date();
  }

  /** Takes a call out of whatever blocks it (conference, dial) without running its pending verbs. */
  private detach(call: CallRec): void {
    call.pending = [];
    if (call.conferenceSid !== undefined) {
      const conf = this.conferences.get(call.conferenceSid);
      call.conferenceSid = undefined;
      if (conf) this.leave(conf, call.sid, 'left');
    }
    const childSid = call.dialChild;
    if (childSid !== undefined) {
      call.dialChild = undefined;
      const child = this.calls.get(childSid);
      if (child && call.doing.kind === 'dial')
        call.doing.outcome = child.status === 'in-progress' ? 'completed' : 'canceled';
      if (child) this.endCall(child, child.status === 'in-progress' ? 'completed' : 'canceled');
    }
  }

  /** Executes TwiML verbs until one blocks (`<Dial>`) or the document ends (the call hangs up). */
  private run(call: CallRec, verbs: TwimlVerb[]): void {
    call.pending = [];
    for (let k = 0; k < verbs.length; k++) {
      if (CALL_ENDED.has(call.status)) return;
      const v = verbs[k] as TwimlVerb;
      switch (v.verb) {
        case 'Say': {
          const saying: CallActivity = {
            kind: 'say',
            text: v.text,
            ...(v.voice !== undefined ? { voice: v.voice } : {}),
            ...(v.language !== undefined ? { language: v.language } : {}),
          };
          this.act(call, saying);
          const ms = this.timing.sayMsPerChar * [...v.text].length;
          if (ms > 0) {
            const rest = verbs.slice(k + 1);
            // Unless something else (a redirect, a hang-up) took the call meanwhile.
            this.later(
              ms,
              () => {
                if (call.doing === saying) this.run(call, rest);
              },
              call,
            );
            return;
          }
          break;
        }
        case 'Play':
          this.act(call, { kind: 'play', url: v.url });
          break;
        case 'Pause':
          this.act(call, { kind: 'pause', seconds: v.seconds });
          break;
        case 'Hangup':
          this.act(call, { kind: 'hangup' });
          this.endCall(call, 'completed');
          return;
        case 'Reject':
          this.endCall(call, call.status === 'in-progress' ? 'completed' : 'busy');
          return;
        case 'Redirect':
          this.act(call, { kind: 'url', url: v.url, method: v.method });
          return;
        case 'Dial':
          call.pending = verbs.slice(k + 1);
          if (v.conference !== undefined) this.joinByTwiml(call, v.conference.name, v.conference.attrs);
          else this.dial(call, v);
          return;
      }
    }
    this.endCall(call, 'completed');
  }

  private dial(call: CallRec, v: Extract<TwimlVerb, { verb: 'Dial' }>): void {
    const target = v.targets[0] as DialTarget;
    const now = new Date();
    const child: CallRec = {
      sid: newSid('CA'),
      accountSid: call.accountSid,
      // Forwarding keeps the caller's number unless the TwiML sets one.
      from: v.callerId ?? call.from,
      to: target.address,
      direction: 'outbound-dial',
      status: 'ringing',
      parentCallSid: call.sid,
      dateCreated: now,
      dateUpdated: now,
      startTime: null,
      endTime: null,
      doing: { kind: 'ringing', to: target.address },
      history: [{ kind: 'ringing', to: target.address }],
      twiml: [],
      pending: [],
      conferenceSid: undefined,
      dialChild: undefined,
      timers: new Set(),
    };
    this.calls.set(child.sid, child);
    call.dialChild = child.sid;
    const activity: CallActivity = {
      kind: 'dial',
      target,
      targets: v.targets,
      timeout: v.timeout,
      ...(v.callerId !== undefined ? { callerId: v.callerId } : {}),
      childCallSid: child.sid,
      outcome: 'ringing',
    };
    this.act(call, activity);
    this.ring(child, target.address, v.timeout, () => {
      if (activity.outcome === 'ringing') activity.outcome = 'bridged';
    });
  }

  /** Rings an outbound leg; the destination's rule decides the outcome. */
  private ring(leg: CallRec, address: string, timeoutSeconds: number, onAnswer: () => void): void {
    const rule = this.destinations.get(destinationKey(address)) ?? { behaviour: 'answer' as const };
    const delay =
      rule.behaviour === 'no-answer'
        ? Math.min(timeoutSeconds * 1000, rule.afterMs ?? timeoutSeconds * 1000)
        : (rule.afterMs ?? this.timing.ringMs);
    this.later(
      delay,
      () => {
        if (CALL_ENDED.has(leg.status)) return;
        if (rule.behaviour === 'answer') {
          leg.status = 'in-progress';
          leg.startTime = new Date();
          this.act(leg, { kind: 'answered' });
          onAnswer();
        } else {
          this.endCall(leg, rule.behaviour);
        }
      },
      leg,
    );
  }

  /**
   * The party on a call hangs up: a live call ends `completed`, one still ringing `canceled`.
   * Everything that depends on it follows (a conference it ends, a `<Dial>` leg it drops).
   */
  hangUp(accountSid: string, sid: string): CallRec {
    const call = this.call(accountSid, sid);
    this.endCall(call, call.status === 'in-progress' ? 'completed' : 'canceled');
    return call;
  }

  /** Ends a call with a final status, and everything that depends on it. */
  endCall(call: CallRec, status: CallStatus): void {
    if (CALL_ENDED.has(call.status)) return;
    for (const t of call.timers) {
      clearTimeout(t);
      this.timers.delete(t);
    }
    call.timers.clear();
    call.status = status;
    call.endTime = new Date();
    call.pending = [];
    this.act(call, { kind: 'ended', status });
    if (call.conferenceSid !== undefined) {
      const conf = this.conferences.get(call.conferenceSid);
      call.conferenceSid = undefined;
      if (conf) this.leave(conf, call.sid, 'left', status);
    }
    const childSid = call.dialChild;
    if (childSid !== undefined) {
      call.dialChild = undefined;
      const child = this.calls.get(childSid);
      if (child) this.endCall(child, child.status === 'in-progress' ? 'completed' : 'canceled');
    }
    if (call.parentCallSid !== null) {
      const parent = this.calls.get(call.parentCallSid);
      if (parent && parent.dialChild === call.sid) {
        parent.dialChild = undefined;
        const dialing = [...parent.history].reverse().find((a) => a.kind === 'dial' && a.childCallSid === call.sid);
        if (dialing?.kind === 'dial') dialing.outcome = dialing.outcome === 'bridged' ? 'completed' : status;
        // `<Dial>` is over: the parent carries on with the rest of its TwiML (or hangs up).
        if (!CALL_ENDED.has(parent.status)) this.run(parent, parent.pending);
      }
    }
  }

  callJson(c: CallRec): Record<string, unknown> {
    const uri = `${API}/Accounts/${c.accountSid}/Calls/${c.sid}.json`;
    const duration =
      c.startTime !== null && c.endTime !== null
        ? String(Math.round((c.endTime.getTime() - c.startTime.getTime()) / 1000))
        : null;
    return {
      account_sid: c.accountSid,
      annotation: null,
      answered_by: null,
      api_version: '2010-04-01',
      caller_name: null,
      date_created: twilioDate(c.dateCreated),
      date_updated: twilioDate(c.dateUpdated),
      direction: c.direction,
      duration,
      end_time: twilioDate(c.endTime),
      forwarded_from: null,
      from: c.from,
      from_formatted: c.from,
      group_sid: null,
      parent_call_sid: c.parentCallSid,
      phone_number_sid: null,
      price: null,
      price_unit: 'USD',
      queue_time: '0',
      sid: c.sid,
      start_time: twilioDate(c.startTime),
      status: c.status,
      subresource_uris: { notifications: uri.replace('.json', '/Notifications.json') },
      to: c.to,
      to_formatted: c.to,
      trunk_sid: null,
      uri,
    };
  }

  // ---------------------------------------------------------------- conferences

  private activeConference(accountSid: string, name: string): ConferenceRec | undefined {
    for (const conf of this.conferences.values()) {
      if (conf.accountSid === accountSid && conf.friendlyName === name && conf.status !== 'completed') return conf;
    }
    return undefined;
  }

  private openConference(accountSid: string, name: string): ConferenceRec {
    const found = this.activeConference(accountSid, name);
    if (found) return found;
    const now = new Date();
    const conf: ConferenceRec = {
      sid: newSid('CF'),
      accountSid,
      friendlyName: name,
      status: 'init',
      dateCreated: now,
      dateUpdated: now,
      participants: new Map(),
      left: [],
      reasonEnded: null,
      callSidEndingConference: null,
      announcements: [],
    };
    this.conferences.set(conf.sid, conf);
    return conf;
  }

  private joinByTwiml(call: CallRec, name: string, attrs: Record<string, string>): void {
    const conf = this.openConference(call.accountSid, name);
    const start = attrs.startConferenceOnEnter !== 'false';
    const end = attrs.endConferenceOnExit === 'true';
    const now = new Date();
    const p: ParticipantRec = {
      callSid: call.sid,
      label: null,
      status: 'connected',
      hold: false,
      holdUrl: null,
      holdMethod: null,
      muted: attrs.muted === 'true',
      beep: attrs.beep ?? 'true',
      startConferenceOnEnter: start,
      endConferenceOnExit: end,
      waitUrl: attrs.waitUrl ?? null,
      coaching: false,
      callSidToCoach: null,
      earlyMedia: null,
      timeout: null,
      from: call.from,
      to: call.to,
      announcements: [],
      joinedVia: 'twiml',
      dateCreated: now,
      dateUpdated: now,
    };
    conf.participants.set(call.sid, p);
    if (start && conf.status === 'init') conf.status = 'in-progress';
    conf.dateUpdated = now;
    call.conferenceSid = conf.sid;
    this.act(call, {
      kind: 'conference',
      name,
      conferenceSid: conf.sid,
      startConferenceOnEnter: start,
      endConferenceOnExit: end,
      beep: p.beep,
      ...(attrs.waitUrl !== undefined ? { waitUrl: attrs.waitUrl } : {}),
    });
  }

  conference(accountSid: string, sid: string): ConferenceRec {
    const conf = this.conferences.get(sid);
    if (!conf || conf.accountSid !== accountSid)
      throw notFound(`${API}/Accounts/${accountSid}/Conferences/${sid}.json`);
    return conf;
  }

  listConferences(accountSid: string, q: Fields): ConferenceRec[] {
    const name = one(q, 'FriendlyName');
    const status = one(q, 'Status');
    return [...this.conferences.values()]
      .filter((c) => c.accountSid === accountSid)
      .filter((c) => name === undefined || c.friendlyName === name)
      .filter((c) => status === undefined || c.status === status)
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  }

  /** `POST Conferences/{Sid}.json`: end it or announce into it. */
  updateConference(accountSid: string, sid: string, f: Fields): ConferenceRec {
    const conf = this.conference(accountSid, sid);
    const status = one(f, 'Status');
    const announce = absoluteUrl(f, 'AnnounceUrl');
    if (status !== undefined && status !== 'completed') {
      throw new TwilioApiError(400, 20001, `Invalid Status '${status}': expected completed`);
    }
    if (announce !== undefined) {
      if (conf.status === 'completed') throw new TwilioApiError(400, 20001, 'The conference has ended.');
      conf.announcements.push(announcement(announce, one(f, 'AnnounceMethod')));
    }
    if (status === 'completed' && conf.status !== 'completed')
      this.endConference(conf, 'conference-ended-via-api', null);
    conf.dateUpdated = new Date();
    return conf;
  }

  private endConference(conf: ConferenceRec, reason: string, bySid: string | null): void {
    if (conf.status === 'completed') return;
    conf.status = 'completed';
    conf.reasonEnded = reason;
    conf.callSidEndingConference = bySid;
    conf.dateUpdated = new Date();
    for (const sid of [...conf.participants.keys()]) {
      const p = conf.participants.get(sid) as ParticipantRec;
      conf.participants.delete(sid);
      conf.left.push({ ...p, status: 'complete' });
      const call = this.calls.get(sid);
      if (!call || call.conferenceSid !== conf.sid) continue;
      call.conferenceSid = undefined;
      if (p.joinedVia === 'twiml') {
        // `<Dial><Conference>` returns when the conference ends; the TwiML after it runs.
        this.run(call, call.pending);
      } else {
        this.endCall(call, call.status === 'in-progress' ? 'completed' : 'canceled');
      }
    }
  }

  /** A participant left (hung up, was redirected, or was removed). */
  private leave(conf: ConferenceRec, callSid: string, _why: 'left' | 'kicked', callStatus?: CallStatus): void {
    const p = conf.participants.get(callSid);
    if (!p) return;
    conf.participants.delete(callSid);
    const failed = callStatus !== undefined && callStatus !== 'completed' && callStatus !== 'canceled';
    conf.left.push({
      ...p,
      status: failed ? 'failed' : 'complete',
      ...(callStatus !== undefined ? { finalCallStatus: callStatus } : {}),
    });
    conf.dateUpdated = new Date();
    if (conf.status === 'completed') return;
    if (p.endConferenceOnExit && p.status === 'connected') {
      this.endConference(conf, 'participant-with-end-conference-on-exit-left', callSid);
    } else if (conf.participants.size === 0) {
      this.endConference(conf, 'last-participant-left', callSid);
    }
  }

  /** `POST Conferences/{ConferenceSid}/Participants.json`: dial someone into a conference. */
  createParticipant(accountSid: string, conferenceRef: string, f: Fields): ParticipantRec {
    let conf: ConferenceRec;
    if (/^CF[0-9a-fA-F]{32}$/.test(conferenceRef)) {
      conf = this.conference(accountSid, conferenceRef);
      if (conf.status === 'completed') {
        throw new TwilioApiError(400, 20001, `Conference ${conferenceRef} has ended; participants cannot be added.`);
      }
    } else {
      // Twilio accepts a friendly name here and creates the conference when needed.
      conf = this.openConference(accountSid, conferenceRef);
    }
    const from = one(f, 'From');
    const to = one(f, 'To');
    if (to === undefined || to === '') throw new TwilioApiError(400, 21201, "No 'To' number is specified");
    if (from === undefined || from === '') throw new TwilioApiError(400, 21213, "No 'From' number is specified");
    if (!E164.test(to) && !SIP.test(to) && !/^client:[A-Za-z0-9_.-]+$/.test(to)) {
      throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    }
    if (!E164.test(from) && !/^client:/.test(from) && !(SIP.test(to) && /^[A-Za-z0-9_.+-]+$/.test(from))) {
      throw new TwilioApiError(400, 21212, `Invalid From Number (caller ID): ${from}`);
    }
    const label = one(f, 'Label') ?? null;
    if (label !== null && [...conf.participants.values()].some((p) => p.label === label)) {
      throw new TwilioApiError(400, 20001, `A participant labelled '${label}' is already in the conference.`);
    }
    const timeout = int(f, 'Timeout', 5, 600) ?? 60;
    const beep = one(f, 'Beep') ?? 'true';
    if (!['true', 'false', 'onEnter', 'onExit'].includes(beep)) {
      throw new TwilioApiError(400, 20001, `Invalid Beep '${beep}': expected true, false, onEnter or onExit`);
    }
    absoluteUrl(f, 'StatusCallback');
    const waitUrl = absoluteUrl(f, 'WaitUrl') ?? null;
    const now = new Date();
    const leg: CallRec = {
      sid: newSid('CA'),
      accountSid,
      from,
      to,
      direction: 'outbound-api',
      status: 'queued',
      parentCallSid: null,
      dateCreated: now,
      dateUpdated: now,
      startTime: null,
      endTime: null,
      doing: { kind: 'ringing', to },
      history: [{ kind: 'ringing', to }],
      twiml: [],
      pending: [],
      conferenceSid: conf.sid,
      dialChild: undefined,
      timers: new Set(),
    };
    this.calls.set(leg.sid, leg);
    const p: ParticipantRec = {
      callSid: leg.sid,
      label,
      status: 'queued',
      hold: false,
      holdUrl: null,
      holdMethod: null,
      muted: bool(f, 'Muted') ?? false,
      beep,
      startConferenceOnEnter: bool(f, 'StartConferenceOnEnter') ?? true,
      endConferenceOnExit: bool(f, 'EndConferenceOnExit') ?? false,
      waitUrl,
      coaching: bool(f, 'Coaching') ?? false,
      callSidToCoach: one(f, 'CallSidToCoach') ?? null,
      earlyMedia: bool(f, 'EarlyMedia') ?? null,
      timeout,
      from,
      to,
      announcements: [],
      joinedVia: 'api',
      dateCreated: now,
      dateUpdated: now,
    };
    conf.participants.set(leg.sid, p);
    const snapshot = { ...p };
    this.later(
      0,
      () => {
        if (CALL_ENDED.has(leg.status)) return;
        leg.status = 'ringing';
        p.status = 'ringing';
      },
      leg,
    );
    this.ring(leg, to, timeout, () => {
      p.status = 'connected';
      p.dateUpdated = new Date();
      if (p.startConferenceOnEnter && conf.status === 'init') conf.status = 'in-progress';
    });
    // The answer describes the participant as created (queued), before any timer ran.
    return snapshot;
  }

  participant(accountSid: string, conferenceSid: string, ref: string): ParticipantRec {
    const conf = this.conference(accountSid, conferenceSid);
    const p =
      conf.participants.get(ref) ?? [...conf.participants.values()].find((x) => x.label !== null && x.label === ref);
    if (!p) throw notFound(`${API}/Accounts/${accountSid}/Conferences/${conferenceSid}/Participants/${ref}.json`);
    return p;
  }

  listParticipants(accountSid: string, conferenceSid: string, q: Fields): ParticipantRec[] {
    const conf = this.conference(accountSid, conferenceSid);
    const hold = one(q, 'Hold');
    const muted = one(q, 'Muted');
    return [...conf.participants.values()]
      .filter((p) => hold === undefined || String(p.hold) === hold)
      .filter((p) => muted === undefined || String(p.muted) === muted);
  }

  /** `POST Participants/{CallSid}.json`: hold, mute, announce… */
  updateParticipant(accountSid: string, conferenceSid: string, ref: string, f: Fields): ParticipantRec {
    const p = this.participant(accountSid, conferenceSid, ref);
    const hold = bool(f, 'Hold');
    const muted = bool(f, 'Muted');
    const end = bool(f, 'EndConferenceOnExit');
    const coaching = bool(f, 'Coaching');
    bool(f, 'BeepOnExit');
    const holdUrl = absoluteUrl(f, 'HoldUrl');
    const announce = absoluteUrl(f, 'AnnounceUrl');
    const waitUrl = absoluteUrl(f, 'WaitUrl');
    if (hold !== undefined) p.hold = hold;
    if (holdUrl !== undefined) p.holdUrl = holdUrl;
    const holdMethod = one(f, 'HoldMethod');
    if (holdMethod !== undefined) p.holdMethod = holdMethod.toUpperCase();
    if (muted !== undefined) p.muted = muted;
    if (end !== undefined) p.endConferenceOnExit = end;
    if (coaching !== undefined) p.coaching = coaching;
    if (waitUrl !== undefined) p.waitUrl = waitUrl;
    const toCoach = one(f, 'CallSidToCoach');
    if (toCoach !== undefined) p.callSidToCoach = toCoach;
    if (announce !== undefined) {
      p.announcements.push(announcement(announce, one(f, 'AnnounceMethod')));
      this.declineAfterAnnouncement(p);
    }
    p.dateUpdated = new Date();
    return p;
  }

  /** A dialled person whose rule says so hangs up once an announcement to them started. */
  private declineAfterAnnouncement(p: ParticipantRec): void {
    const leg = this.calls.get(p.callSid);
    if (p.joinedVia !== 'api' || p.to === null || leg?.status !== 'in-progress') return;
    const after = this.destinations.get(destinationKey(p.to))?.hangUpAfterAnnouncementMs;
    if (after !== undefined) this.later(after, () => this.endCall(leg, 'completed'), leg);
  }

  /** `DELETE Participants/{CallSid}.json`: kick a participant (its call ends). */
  removeParticipant(accountSid: string, conferenceSid: string, ref: string): void {
    const p = this.participant(accountSid, conferenceSid, ref);
    const call = this.calls.get(p.callSid);
    if (call) this.endCall(call, call.status === 'in-progress' ? 'completed' : 'canceled');
  }

  conferenceJson(c: ConferenceRec): Record<string, unknown> {
    const uri = `${API}/Accounts/${c.accountSid}/Conferences/${c.sid}.json`;
    return {
      account_sid: c.accountSid,
      api_version: '2010-04-01',
      call_sid_ending_conference: c.callSidEndingConference,
      date_created: twilioDate(c.dateCreated),
      date_updated: twilioDate(c.dateUpdated),
      friendly_name: c.friendlyName,
      reason_conference_ended: c.reasonEnded,
      region: 'us1',
      sid: c.sid,
      status: c.status,
      subresource_uris: {
        participants: uri.replace('.json', '/Participants.json'),
        recordings: uri.replace('.json', '/Recordings.json'),
      },
      uri,
    };
  }

  participantJson(accountSid: string, conferenceSid: string, p: ParticipantRec): Record<string, unknown> {
    return {
      account_sid: accountSid,
      call_sid: p.callSid,
      call_sid_to_coach: p.callSidToCoach,
      coaching: p.coaching,
      conference_sid: conferenceSid,
      date_created: twilioDate(p.dateCreated),
      date_updated: twilioDate(p.dateUpdated),
      end_conference_on_exit: p.endConferenceOnExit,
      hold: p.hold,
      label: p.label,
      muted: p.muted,
      queue_time: '0',
      start_conference_on_enter: p.startConferenceOnEnter,
      status: p.status,
      uri: `${API}/Accounts/${accountSid}/Conferences/${conferenceSid}/Participants/${p.callSid}.json`,
    };
  }

  /** The participant as the API shows it, plus what only the sandbox knows (hold music, announcements…). */
  participantState(accountSid: string, conferenceSid: string, p: ParticipantRec): Record<string, unknown> {
    return {
      ...this.participantJson(accountSid, conferenceSid, p),
      announcements: p.announcements,
      beep: p.beep,
      early_media: p.earlyMedia,
      final_call_status: p.finalCallStatus ?? null,
      from: p.from,
      hold_method: p.holdMethod,
      hold_url: p.holdUrl,
      joined_via: p.joinedVia,
      timeout: p.timeout,
      to: p.to,
      wait_url: p.waitUrl,
    };
  }
}

function announcement(url: string, method: string | undefined): Announcement {
  return { url, method: (method ?? 'POST').toUpperCase(), text: announceText(url), at: new Date().toISOString() };
}

function notFound(path: string): TwilioApiError {
  return new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
}

/** Destinations match case-insensitively (SIP hosts and schemes are case-insensitive). */
export function destinationKey(address: string): string {
  return address.trim().toLowerCase();
}

// The GSM 03.38 basic character set (and the extension table), for segment counting.
const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€',
);
