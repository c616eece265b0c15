import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTimeZone } from '@switchboard/common/time-zones';
import { type Fault, FaultPlan, readBody, sendJson, sleep } from '../faults.js';
import { CalcomHttpError, errorBody } from './errors.js';
import {
  type Answer,
  cancelBooking,
  createBooking,
  getBooking,
  getSlots,
  listBookings,
  rescheduleBooking,
} from './handlers.js';
import { type BookingOutput, CalcomModel, defaultEventTypes, type SandboxEventType } from './model.js';
import { isObject } from './validation.js';

/** `cal-api-version` each endpoint requires. */
export const CalcomApiVersions = {
  Slots: '2024-09-04',
  Bookings: '2024-08-13',
} as const;

/** OpenAPI operation ids of the operations the sandbox serves (recorded with each request). */
export const CalcomOperationIds = {
  GetSlots: 'SlotsController_2024_09_04_getAvailableSlots',
  CreateBooking: 'BookingsController_2024_08_13_createBooking',
  GetBookings: 'BookingsController_2024_08_13_getBookings',
  GetBooking: 'BookingsController_2024_08_13_getBooking',
  CancelBooking: 'BookingsController_2024_08_13_cancelBooking',
  RescheduleBooking: 'BookingsController_2024_08_13_rescheduleBooking',
} as const;
/** One of {@link CalcomOperationIds}. */
export type CalcomOperationId = (typeof CalcomOperationIds)[keyof typeof CalcomOperationIds];

/** The API key the sandbox accepts when none are configured (the dev stack's fixed sandbox key). */
export const DEFAULT_CALCOM_SANDBOX_KEY = 'cal_sandbox_0000000000000000000000000000';

/** Options of {@link startCalcomSandbox}. */
export interface CalcomSandboxOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Accepted API keys (`Authorization: Bearer <key>`); default {@link DEFAULT_CALCOM_SANDBOX_KEY}. */
  apiKeys?: string[];
  /** The host's time zone, in which the default event types' availability is expressed (default `America/New_York`). */
  timeZone?: string;
  /** Event types to serve instead of the defaults (ids 1001, 1002, 1003). */
  eventTypes?: SandboxEventType[];
  /** Clock (ms since the epoch), for bookings "in the past" and list status filters. */
  now?: () => number;
  /** Requests allowed per API key and window before 429 (default 10 000 per minute). */
  rateLimit?: { limit: number; windowMs: number };
}

/** One request as the sandbox received it (requests to `/_sandbox/*` are not recorded). */
export interface RecordedRequest {
  /** Arrival order, from 1. */
  seq: number;
  /** Arrival time, ms since the epoch. */
  at: number;
  method: string;
  /** Path without the query. */
  path: string;
  /** Decoded query parameters; repeated ones as arrays. */
  query: Record<string, string | string[]>;
  /** Headers, names in lower case. */
  headers: Record<string, string>;
  /** The raw body text (`''` when none). */
  body: string;
  /** The parsed JSON body, when the body was JSON. */
  json?: unknown;
  /** The OpenAPI operation the request matched, when it matched one. */
  operation?: CalcomOperationId;
  /** Status answered (absent while in flight, or when the connection was dropped). */
  status?: number;
  /** The fault that applied, if any. */
  fault?: Fault;
  /** True when the sandbox handled the request and then dropped the connection (`dropAfterCommit`). */
  dropped?: boolean;
}

/** A snapshot of the sandbox's data. */
export interface CalcomSandboxState {
  eventTypes: SandboxEventType[];
  /** Every booking in creation order, as the API returns them. */
  bookings: BookingOutput[];
}

/** A running Cal.com sandbox. */
export interface CalcomSandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234` (paths start with `/v2/`). */
  url: string;
  port: number;
  apiKeys: readonly string[];
  /** Fault injection for the next requests (status, Retry-After, latency, timeouts, drop after commit). */
  faults: FaultPlan;
  /** A copy of the current data. */
  state(): CalcomSandboxState;
  /** Copies of the recorded requests, oldest first, optionally only those matching. */
  requests(filter?: { method?: string; path?: string; operation?: CalcomOperationId }): RecordedRequest[];
  /** Back to the seeded event types, no bookings, no recorded requests, no faults. */
  reset(): void;
  close(): Promise<void>;
}

type Route = {
  operation: CalcomOperationId;
  version: string;
  run: (body: unknown) => Answer;
};

const FAULT_KEYS = new Set([
  'status',
  'retryAfterSeconds',
  'delayMs',
  'dropAfterCommit',
  'count',
  'method',
  'pathPrefix',
]);

/**
 * Starts a local stand-in for the Cal.com API v2 subset Switchboard uses: `GET /v2/slots`,
 * `POST /v2/bookings`, `GET /v2/bookings`, `GET /v2/bookings/{uid}`,
 * `POST /v2/bookings/{uid}/cancel` and `POST /v2/bookings/{uid}/reschedule`, with the same
 * headers (Bearer key, `cal-api-version` per endpoint), bodies, status codes and error
 * envelope as the real API. Inspection and faults are also served over HTTP for the dev stack:
 * `GET /_sandbox/state`, `GET /_sandbox/requests`, `POST /_sandbox/faults` (a {@link Fault}),
 * `DELETE /_sandbox/faults`, `POST /_sandbox/reset`.
 */
export async function startCalcomSandbox(options: CalcomSandboxOptions = {}): Promise<CalcomSandbox> {
  const now = options.now ?? Date.now;
  const hostZone = options.timeZone ?? 'America/New_York';
  if (!isTimeZone(hostZone)) throw new Error(`calcom sandbox: '${hostZone}' is not an IANA time zone`);
  const model = new CalcomModel(options.eventTypes ?? defaultEventTypes(hostZone), now);
  const apiKeys = [...(options.apiKeys ?? [DEFAULT_CALCOM_SANDBOX_KEY])];
  const keys = new Set(apiKeys);
  const faults = new FaultPlan();
  const rate = options.rateLimit ?? { limit: 10_000, windowMs: 60_000 };
  const windows = new Map<string, { startedAt: number; count: number }>();
  let records: RecordedRequest[] = [];
  let seq = 0;

  const route = (method: string, segments: string[], query: Record<string, string | string[]>): Route | undefined => {
    const [v2, resource, uidPart, action, ...rest] = segments;
    if (v2 !== 'v2' || rest.length > 0) return undefined;
    if (resource === 'slots' && uidPart === undefined && method === 'GET') {
      return {
        operation: CalcomOperationIds.GetSlots,
        version: CalcomApiVersions.Slots,
        run: () => getSlots(model, query),
      };
    }
    if (resource !== 'bookings') return undefined;
    const b = CalcomApiVersions.Bookings;
    if (uidPart === undefined) {
      if (method === 'POST')
        return { operation: CalcomOperationIds.CreateBooking, version: b, run: (body) => createBooking(model, body) };
      if (method === 'GET')
        return { operation: CalcomOperationIds.GetBookings, version: b, run: () => listBookings(model, query) };
      return undefined;
    }
    const uid = decodeURIComponent(uidPart);
    if (action === undefined && method === 'GET') {
      return { operation: CalcomOperationIds.GetBooking, version: b, run: () => getBooking(model, uid) };
    }
    if (action === 'cancel' && method === 'POST') {
      return {
        operation: CalcomOperationIds.CancelBooking,
        version: b,
        run: (body) => cancelBooking(model, uid, body, now()),
      };
    }
    if (action === 'reschedule' && method === 'POST') {
      return {
        operation: CalcomOperationIds.RescheduleBooking,
        version: b,
        run: (body) => rescheduleBooking(model, uid, body, now()),
      };
    }
    return undefined;
  };

  /** Auth, then API version, then rate limit, then the operation (Cal.com's guard order). */
  const answer = (
    req: IncomingMessage,
    r: Route | undefined,
    rec: RecordedRequest,
  ): Answer & { headers?: Record<string, string> } => {
    if (!r) throw new CalcomHttpError(404, `Cannot ${rec.method} ${rec.path}`);
    const auth = rec.headers.authorization;
    if (auth === undefined || auth === '') {
      throw new CalcomHttpError(
        401,
        "No authentication method provided. Either pass an API key as 'Bearer' header or OAuth client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers",
      );
    }
    const match = /^Bearer (\S+)$/.exec(auth);
    const key = match?.[1];
    if (key === undefined || !keys.has(key))
      throw new CalcomHttpError(401, 'ApiAuthStrategy - api key - Invalid API Key');
    const version = rec.headers['cal-api-version'];
    if (version !== r.version) {
      throw new CalcomHttpError(
        400,
        `cal-api-version header must be '${r.version}' for ${rec.method} ${rec.path}${version === undefined ? ' (missing)' : ` (got '${version}')`}`,
      );
    }
    const t = now();
    let w = windows.get(key);
    if (!w || t - w.startedAt >= rate.windowMs) {
      w = { startedAt: t, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    const resetSeconds = Math.max(1, Math.ceil((w.startedAt + rate.windowMs - t) / 1000));
    const headers = {
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(Math.max(0, rate.limit - w.count)),
      'x-ratelimit-reset': String(resetSeconds),
    };
    if (w.count > rate.limit) {
      throw new CalcomHttpError(429, 'ThrottlerException: Too Many Requests', undefined, {
        ...headers,
        'retry-after': String(resetSeconds),
      });
    }
    let body: unknown;
    if (req.method === 'POST') {
      const type = rec.headers['content-type'] ?? '';
      if (rec.body !== '' && type.includes('application/json')) {
        try {
          body = JSON.parse(rec.body);
        } catch (err) {
          throw new CalcomHttpError(400, (err as Error).message);
        }
      } else {
        // Without a JSON content type Nest's body parser leaves the body empty.
        body = {};
      }
    }
    return { ...r.run(body), headers };
  };

  const control = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (req.method === 'GET' && path === '/_sandbox/state') return sendJson(res, 200, sandbox.state());
    if (req.method === 'GET' && path === '/_sandbox/requests') {
      // Over HTTP the bearer token is hidden: this view is for consoles, not for secrets.
      const view = records.map((r) => {
        const copy = structuredClone(r);
        if (copy.headers.authorization !== undefined) {
          copy.headers.authorization = copy.headers.authorization.replace(/^(\S+)\s.*$/, '$1 [redacted]');
        }
        return copy;
      });
      return sendJson(res, 200, view);
    }
    if (path === '/_sandbox/faults' && req.method === 'POST') {
      let fault: unknown;
      try {
        fault = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: 'body must be a JSON fault' });
      }
      if (!isObject(fault) || Object.keys(fault).some((k) => !FAULT_KEYS.has(k))) {
        return sendJson(res, 400, { error: `a fault has only: ${[...FAULT_KEYS].join(', ')}` });
      }
      faults.add(fault as Fault);
      return sendJson(res, 201, { added: fault });
    }
    if (path === '/_sandbox/faults' && req.method === 'DELETE') {
      faults.clear();
      return sendJson(res, 200, { cleared: true });
    }
    if (path === '/_sandbox/reset' && req.method === 'POST') {
      sandbox.reset();
      return sendJson(res, 200, { reset: true });
    }
    return sendJson(res, 404, { error: `no sandbox control ${req.method} ${path}` });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    if (path.startsWith('/_sandbox/')) return control(req, res, path);
    const method = req.method ?? 'GET';
    let raw = '';
    try {
      raw = await readBody(req);
    } catch {
      return sendJson(res, 413, errorBody(413, req.url ?? path, 'request entity too large'));
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const rec: RecordedRequest = { seq: ++seq, at: Date.now(), method, path, query, headers, body: raw };
    if (raw !== '') {
      try {
        rec.json = JSON.parse(raw);
      } catch {
        // Recorded as text only; the operation answers 400 if it needed JSON.
      }
    }
    const r = route(method, path.split('/').filter(Boolean), query);
    if (r) rec.operation = r.operation;
    records.push(rec);

    const fault = faults.take(method, path);
    if (fault) rec.fault = { ...fault };
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (fault?.delayMs) await sleep(fault.delayMs);
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      rec.status = status;
      if (!res.destroyed) sendJson(res, status, body, extra);
    };
    if (fault?.status !== undefined && !fault.dropAfterCommit) {
      const extra: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) extra['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.status === 429) {
        Object.assign(extra, { 'x-ratelimit-limit': String(rate.limit), 'x-ratelimit-remaining': '0' });
        extra['x-ratelimit-reset'] = String(fault.retryAfterSeconds ?? 60);
      }
      const message = fault.status === 429 ? 'ThrottlerException: Too Many Requests' : 'Injected sandbox fault';
      return send(fault.status, errorBody(fault.status, req.url ?? path, message), extra);
    }
    let status: number;
    let body: unknown;
    let extra: Record<string, string> = {};
    try {
      const a = answer(req, r, rec);
      status = a.status;
      body = a.body;
      extra = a.headers ?? {};
    } catch (err) {
      if (!(err instanceof CalcomHttpError)) throw err;
      status = err.status;
      body = errorBody(err.status, req.url ?? path, err.message, err.problems);
      extra = err.headers;
    }
    if (fault?.dropAfterCommit) {
      // The operation has committed; the client never hears about it.
      rec.dropped = true;
      req.socket.destroy();
      return;
    }
    send(status, body, extra);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, errorBody(500, req.url ?? '/', `sandbox failure: ${(err as Error).message}`));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host;

  const sandbox: CalcomSandbox = {
    url: `http://${host}:${port}`,
    port,
    apiKeys,
    faults,
    state: () => ({
      eventTypes: structuredClone(model.eventTypes),
      bookings: model.bookings.map((b) => model.output(b)),
    }),
    requests: (filter = {}) =>
      records
        .filter(
          (r) =>
            (filter.method === undefined || r.method === filter.method) &&
            (filter.path === undefined || r.path === filter.path) &&
            (filter.operation === undefined || r.operation === filter.operation),
        )
        .map((r) => structuredClone(r)),
    reset: () => {
      model.reset();
      records = [];
      seq = 0;
      windows.clear();
      faults.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return sandbox;
}
