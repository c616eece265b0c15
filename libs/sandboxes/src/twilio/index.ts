/**
 * A local stand-in for the Twilio REST API 2010-04-01: the same paths, HTTP Basic
 * authentication (account SID + auth token), form-encoded bodies, status codes and error JSON
 * (`{code, message, more_info, status}`), backed by an in-memory world of messages, live calls,
 * conferences and participants. Tests and the dev stack drive it through the returned object
 * or over HTTP under `/_sandbox/…`:
 *
 * - `GET /_sandbox/state`, `GET /_sandbox/requests`, `POST /_sandbox/reset`
 * - `POST /_sandbox/faults` (a {@link Fault}, or `{ "latencyMs": n }`), `DELETE /_sandbox/faults`
 * - `POST /_sandbox/calls` (`{accountSid?, from?, to?, direction?, sid?}`: seed a live call), `GET /_sandbox/calls`
 * - `POST /_sandbox/destinations` (`{address, behaviour, afterMs?, hangUpAfterAnnouncementMs?}`: how a
 *   number or SIP URI answers)
 * - `POST /_sandbox/calls/{CallSid}/hangup` (the person on the call hangs up)
 *
 * Every API request is recorded (method, path, query, headers with the password removed, raw
 * body and decoded form fields) so a conformance suite can validate what clients sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, FaultPlan, readBody, sendJson, sleep } from '../faults.js';
import { decodeForm, type FormFields, type FormLists, twilioSignature } from './form.js';
import {
  type CallbackDelivery,
  type DestinationBehaviour,
  type DestinationRule,
  destinationKey,
  type Fields,
  newSid,
  type SandboxTiming,
  TwilioApiError,
  TwilioWorld,
} from './world.js';

export { decodeForm, type FormFields, type FormLists, twilioSignature } from './form.js';
export { type DialTarget, parseTwiml, parseXml, TwimlParseError, type TwimlVerb, type XmlElement } from './twiml.js';
export type {
  Announcement,
  CallActivity,
  CallbackDelivery,
  CallStatus,
  DestinationBehaviour,
  DestinationRule,
  SandboxTiming,
} from './world.js';

/** A Twilio account the sandbox accepts. */
export interface SandboxAccount {
  /** `AC` + 32 hex digits. */
  sid: string;
  authToken: string;
}

/** Options of {@link startTwilioSandbox}. */
export interface TwilioSandboxOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Accounts that may authenticate; absent: one generated account (see `accounts`). */
  accounts?: SandboxAccount[];
  /** Simulated network timing (ringing, message delivery steps, speech). */
  timing?: Partial<SandboxTiming>;
  /** Send message status callbacks (signed with `X-Twilio-Signature`); default true. */
  statusCallbacks?: boolean;
}

/** One API request as the sandbox received it. */
export interface RecordedRequest {
  at: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Decoded query parameters (a repeated key is an array). */
  query: FormFields;
  /** Lower-case header names; `authorization` shows only the scheme and user (never the token). */
  headers: Record<string, string>;
  /** The account SID of the Basic credentials, when present. */
  user: string | null;
  /** The raw request body. */
  body: string;
  /** Decoded form fields when the body is `application/x-www-form-urlencoded` (a repeated key is an array). */
  form: FormFields;
  /** The same fields, every one as a list (for consumers that coerce by schema). */
  formLists: FormLists;
  /** The status answered; `null` when the connection was dropped without an answer. */
  status: number | null;
}

/** A live call to seed (an inbound call reaching the agent, unless `direction` says otherwise). */
export interface SeedCall {
  accountSid?: string;
  from?: string;
  to?: string;
  direction?: 'inbound' | 'outbound-api';
  sid?: string;
}

/** Everything the sandbox holds, as JSON (API resource shapes plus sandbox-only detail). */
export interface TwilioSandboxState {
  accounts: string[];
  messages: Record<string, unknown>[];
  calls: Record<string, unknown>[];
  conferences: Record<string, unknown>[];
  callbacks: CallbackDelivery[];
  destinations: Record<string, DestinationRule>;
}

/** A running Twilio sandbox. */
export interface TwilioSandbox {
  /** Base URL (`http://127.0.0.1:<port>`); set `TWILIO_API_URL` to it. */
  url: string;
  /** The accounts it accepts (the generated one when none were given). */
  accounts: SandboxAccount[];
  /** Fault injection for API requests (not `/_sandbox`). */
  faults: FaultPlan;
  /** A JSON snapshot of all state. */
  state(): TwilioSandboxState;
  /** Every API request received, oldest first. */
  requests(): RecordedRequest[];
  /** Forgets messages, calls, conferences, requests, faults and destination rules. */
  reset(): void;
  /** Seeds a live, in-progress call (`CA…`) and returns its resource JSON. */
  createCall(call?: SeedCall): Record<string, unknown>;
  /** How a destination (E.164 or SIP URI) reacts when rung; unknown destinations answer. */
  setDestination(address: string, rule: DestinationBehaviour | DestinationRule): void;
  /** The person on a call hangs up (a live call ends `completed`, a ringing one `canceled`). */
  hangUp(callSid: string, accountSid?: string): void;
  /** Changes the simulated timing until the next {@link TwilioSandbox.reset} (which restores the start options). */
  setTiming(timing: Partial<SandboxTiming>): void;
  close(): Promise<void>;
}

const API_PREFIX = '/2010-04-01/Accounts/';
const BEHAVIOURS: readonly string[] = ['answer', 'busy', 'no-answer', 'failed'];

/** Starts a Twilio sandbox on 127.0.0.1. */
export async function startTwilioSandbox(options: TwilioSandboxOptions = {}): Promise<TwilioSandbox> {
  const accounts: SandboxAccount[] = options.accounts?.map((a) => ({ ...a })) ?? [
    { sid: newSid('AC'), authToken: newSid('').slice(0, 32) },
  ];
  for (const a of accounts) {
    if (!/^AC[0-9a-fA-F]{32}$/.test(a.sid)) throw new Error(`sandbox account sid '${a.sid}' is not AC + 32 hex digits`);
  }
  const tokens = new Map(accounts.map((a) => [a.sid, a.authToken]));
  const faults = new FaultPlan();
  const recorded: RecordedRequest[] = [];
  const startTiming: SandboxTiming = { ringMs: 100, messageStepMs: 50, sayMsPerChar: 0, ...options.timing };
  // One object the world reads on every event: changed in place by setTiming and reset.
  const timing: SandboxTiming = { ...startTiming };
  const callbacksOn = options.statusCallbacks ?? true;

  const world = new TwilioWorld(tokens, timing, (accountSid, url, params) => {
    if (!callbacksOn) return;
    const token = tokens.get(accountSid) ?? '';
    const lists = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, [v]]));
    const signature = twilioSignature(token, url, lists);
    const delivery: CallbackDelivery = { url, params, signature, status: null, at: new Date().toISOString() };
    world.callbacks.push(delivery);
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
        'user-agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(5000),
    })
      .then(async (res) => {
        delivery.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      })
      .catch((err: unknown) => {
        delivery.error = err instanceof Error ? err.message : String(err);
      });
  });

  const state = (): TwilioSandboxState => ({
    accounts: accounts.map((a) => a.sid),
    messages: [...world.messages.values()].map((m) => ({
      ...world.messageJson(m),
      media_url: m.mediaUrls,
      status_callback: m.statusCallback,
      // Twilio's date_created has whole seconds; tests that order effects need milliseconds.
      created_ms: m.dateCreated.getTime(),
    })),
    calls: [...world.calls.values()].map((c) => ({
      ...world.callJson(c),
      doing: c.doing,
      history: c.history,
      twiml: c.twiml,
      conference_sid: c.conferenceSid ?? null,
    })),
    conferences: [...world.conferences.values()].map((c) => ({
      ...world.conferenceJson(c),
      participants: [...c.participants.values()].map((p) => world.participantState(c.accountSid, c.sid, p)),
      left: c.left.map((p) => world.participantState(c.accountSid, c.sid, p)),
      announcements: c.announcements,
    })),
    callbacks: world.callbacks.map((d) => ({ ...d })),
    destinations: Object.fromEntries(world.destinations),
  });

  const seed = (o: SeedCall = {}) => {
    const accountSid = o.accountSid ?? (accounts[0] as SandboxAccount).sid;
    const { accountSid: _ignored, ...rest } = o;
    return world.callJson(world.seedCall(accountSid, rest));
  };

  const setDestination = (address: string, rule: DestinationBehaviour | DestinationRule) => {
    const r = typeof rule === 'string' ? { behaviour: rule } : rule;
    if (!BEHAVIOURS.includes(r.behaviour)) throw new Error(`unknown destination behaviour '${r.behaviour}'`);
    world.destinations.set(destinationKey(address), r);
  };

  const reset = () => {
    world.reset();
    Object.assign(timing, startTiming);
    recorded.length = 0;
    faults.clear();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          code: 20500,
          message: `sandbox error: ${err instanceof Error ? err.message : String(err)}`,
          more_info: 'https://www.twilio.com/docs/errors/20500',
          status: 500,
        });
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    if (url.pathname.startsWith('/_sandbox/')) {
      control(method, url, body, res);
      return;
    }

    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    // Like Twilio, only a form-encoded body carries parameters.
    const form =
      contentType === 'application/x-www-form-urlencoded' ? decodeForm(body) : { fields: {}, lists: {} as FormLists };
    const query = decodeForm(url.search.slice(1));
    const auth = basicAuth(req.headers.authorization);
    const entry: RecordedRequest = {
      at: new Date().toISOString(),
      method,
      path: url.pathname,
      query: query.fields,
      headers: redactHeaders(req),
      user: auth?.user ?? null,
      body,
      form: form.fields,
      formLists: form.lists,
      status: null,
    };
    recorded.push(entry);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      if (status === 204) {
        res.writeHead(204, headers);
        res.end();
      } else sendJson(res, status, json, headers);
    };

    await sleep(faults.latencyMs);
    const fault = faults.take(method, url.pathname);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status !== undefined) {
      const code = fault.status === 401 ? 20003 : 20000 + fault.status;
      return reply(
        fault.status,
        {
          code,
          message: fault.status === 401 ? 'Authenticate' : `Injected fault: HTTP ${fault.status}`,
          more_info: `https://www.twilio.com/docs/errors/${code}`,
          status: fault.status,
        },
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
      );
    }
    let status: number;
    let json: unknown;
    try {
      if (!auth || tokens.get(auth.user) !== auth.password) {
        throw new TwilioApiError(401, 20003, 'Authenticate');
      }
      [status, json] = route(method, url.pathname, query.lists, form.lists, auth.user);
    } catch (err) {
      if (!(err instanceof TwilioApiError)) throw err;
      status = err.status;
      json = err.body();
    }
    if (fault?.dropAfterCommit) {
      // The effect happened; the client never learns it did.
      entry.status = null;
      res.socket?.destroy();
      return;
    }
    reply(status, json, status === 401 ? { 'www-authenticate': 'Basic realm="Twilio API"' } : {});
  }

  function route(method: string, path: string, q: Fields, f: Fields, user: string): [number, unknown] {
    if (!path.startsWith(API_PREFIX)) throw notFound(path);
    const parts = path.slice(API_PREFIX.length).split('/');
    const account = parts[0] ?? '';
    if (account !== user) throw notFound(path);
    const rest = parts.slice(1);
    const base = `${API_PREFIX}${account}`;
    const only = (allowed: string) => {
      if (method !== allowed) throw new TwilioApiError(405, 20004, 'Method not allowed');
    };
    const page = <T>(key: string, items: T[], toJson: (t: T) => unknown, uri: string): [number, unknown] => {
      const size = Math.min(Math.max(Number(q.PageSize?.[0] ?? 50) || 50, 1), 1000);
      const number = Math.max(Number(q.Page?.[0] ?? 0) || 0, 0);
      const slice = items.slice(number * size, (number + 1) * size);
      const more = (number + 1) * size < items.length;
      const qs = (n: number) => `${uri}?PageSize=${size}&Page=${n}`;
      return [
        200,
        {
          [key]: slice.map(toJson),
          end: number * size + Math.max(slice.length - 1, 0),
          first_page_uri: qs(0),
          next_page_uri: more ? qs(number + 1) : null,
          page: number,
          page_size: size,
          previous_page_uri: number > 0 ? qs(number - 1) : null,
          start: number * size,
          uri: qs(number),
        },
      ];
    };
    const [collection, id, sub, subId, extra] = rest;
    if (extra !== undefined) throw notFound(path);
    if (collection === 'Messages.json' && id === undefined) {
      if (method === 'POST') return [201, world.messageJson(world.createMessage(account, f))];
      only('GET');
      return page('messages', world.listMessages(account, q), (m) => world.messageJson(m), `${base}/Messages.json`);
    }
    if (collection === 'Messages' && id?.endsWith('.json') && sub === undefined) {
      only('GET');
      return [200, world.messageJson(world.message(account, id.slice(0, -5)))];
    }
    if (collection === 'Calls.json' && id === undefined) {
      only('GET');
      return page('calls', world.listCalls(account, q), (c) => world.callJson(c), `${base}/Calls.json`);
    }
    if (collection === 'Calls' && id?.endsWith('.json') && sub === undefined) {
      const sid = id.slice(0, -5);
      if (method === 'POST') return [200, world.callJson(world.updateCall(account, sid, f))];
      only('GET');
      return [200, world.callJson(world.call(account, sid))];
    }
    if (collection === 'Conferences.json' && id === undefined) {
      only('GET');
      return page(
        'conferences',
        world.listConferences(account, q),
        (c) => world.conferenceJson(c),
        `${base}/Conferences.json`,
      );
    }
    if (collection === 'Conferences' && id?.endsWith('.json') && sub === undefined) {
      const sid = id.slice(0, -5);
      if (method === 'POST') return [200, world.conferenceJson(world.updateConference(account, sid, f))];
      only('GET');
      return [200, world.conferenceJson(world.conference(account, sid))];
    }
    if (collection === 'Conferences' && id !== undefined && sub === 'Participants.json' && subId === undefined) {
      const conferenceRef = decodeURIComponent(id);
      if (method === 'POST') {
        const p = world.createParticipant(account, conferenceRef, f);
        const conf = [...world.conferences.values()].find((c) => c.participants.has(p.callSid));
        return [201, world.participantJson(account, conf?.sid ?? conferenceRef, p)];
      }
      only('GET');
      return page(
        'participants',
        world.listParticipants(account, conferenceRef, q),
        (p) => world.participantJson(account, conferenceRef, p),
        `${base}/Conferences/${conferenceRef}/Participants.json`,
      );
    }
    if (collection === 'Conferences' && id !== undefined && sub === 'Participants' && subId?.endsWith('.json')) {
      const ref = decodeURIComponent(subId.slice(0, -5));
      if (method === 'POST')
        return [200, world.participantJson(account, id, world.updateParticipant(account, id, ref, f))];
      if (method === 'DELETE') {
        world.removeParticipant(account, id, ref);
        return [204, undefined];
      }
      only('GET');
      return [200, world.participantJson(account, id, world.participant(account, id, ref))];
    }
    throw notFound(path);
  }

  function control(method: string, url: URL, body: string, res: ServerResponse): void {
    try {
      const [status, answer] = controlRoute(method, url.pathname, body);
      sendJson(res, status, answer);
    } catch (err) {
      const status = err instanceof TwilioApiError ? err.status : 400;
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  function controlRoute(method: string, path: string, body: string): [number, unknown] {
    const json = (): Record<string, unknown> => {
      if (body.trim() === '') return {};
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('expected a JSON object');
      }
      return parsed as Record<string, unknown>;
    };
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /_sandbox/state':
        return [200, state()];
      case 'GET /_sandbox/requests':
        return [200, recorded];
      case 'POST /_sandbox/reset':
        reset();
        return [200, { ok: true }];
      case 'POST /_sandbox/faults': {
        const f = json();
        if (typeof f.latencyMs === 'number') faults.latencyMs = f.latencyMs;
        else faults.add(f as Fault);
        return [201, { ok: true }];
      }
      case 'DELETE /_sandbox/faults':
        faults.clear();
        return [200, { ok: true }];
      case 'GET /_sandbox/calls':
        return [200, state().calls];
      case 'POST /_sandbox/calls':
        return [201, seed(json() as SeedCall)];
      case 'POST /_sandbox/destinations': {
        const d = json();
        if (typeof d.address !== 'string') throw new Error("'address' must be a string");
        setDestination(d.address, {
          behaviour: d.behaviour as DestinationBehaviour,
          ...(typeof d.afterMs === 'number' ? { afterMs: d.afterMs } : {}),
          ...(typeof d.hangUpAfterAnnouncementMs === 'number'
            ? { hangUpAfterAnnouncementMs: d.hangUpAfterAnnouncementMs }
            : {}),
        });
        return [201, { ok: true }];
      }
      default: {
        const hangup = /^POST \/_sandbox\/calls\/(CA[0-9a-fA-F]{32})\/hangup$/.exec(key);
        if (hangup) {
          const call = world.calls.get(hangup[1] as string);
          if (!call) return [404, { error: `no call ${hangup[1]}` }];
          return [200, world.callJson(world.hangUp(call.accountSid, call.sid))];
        }
        return [404, { error: `no sandbox route ${key}` }];
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    accounts,
    faults,
    state,
    requests: () => recorded.map((r) => ({ ...r })),
    reset,
    createCall: seed,
    setDestination,
    hangUp: (callSid, accountSid = (accounts[0] as SandboxAccount).sid) => {
      world.hangUp(accountSid, callSid);
    },
    setTiming: (t) => {
      Object.assign(timing, t);
    },
    close: () =>
      new Promise<void>((resolve) => {
        world.reset();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function notFound(path: string): TwilioApiError {
  return new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
}

function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Request headers with the Basic password replaced, so recordings never hold a token. */
function redactHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (out.authorization !== undefined) {
    const auth = basicAuth(out.authorization);
    out.authorization = auth ? `Basic ${auth.user}:<redacted>` : '<redacted>';
  }
  return out;
}
