/**
 * The query parameters of `GET /v1/runs` and `GET /v1/stats`, checked beyond what their schemas
 * say (the cursor's content, the time range, the page size), every problem with its pointer.
 */
import { ValidationError, type ValidationIssue } from '@switchboard/common';
import { ProviderNames } from '@switchboard/contracts';
import { RUN_LIST_STATUSES, type RunCursor, type RunFilter, type RunListStatus } from '@switchboard/db';

/** Page sizes of `GET /v1/runs`. */
export const RUN_PAGE = { default: 50, max: 200 } as const;

/** The windows `GET /v1/stats` answers for, in milliseconds. */
export const STATS_WINDOWS = { '15m': 900_000, '1h': 3_600_000, '24h': 86_400_000 } as const;
/** One of the keys of {@link STATS_WINDOWS}. */
export type StatsWindow = keyof typeof STATS_WINDOWS;
/** The window names, shortest first. */
export const STATS_WINDOW_NAMES = Object.keys(STATS_WINDOWS) as StatsWindow[];

/** How many slices `GET /v1/stats?buckets=` may cut its window into. */
export const STATS_BUCKETS = { min: 1, max: 60 } as const;

/**
 * `buckets` of `GET /v1/stats` (its schema has checked it is digits): `undefined` when not
 * asked for; otherwise the count, or a `validation_failed` error pointing at `/buckets`.
 */
export function parseStatsBuckets(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isInteger(n) && n >= STATS_BUCKETS.min && n <= STATS_BUCKETS.max) return n;
  const message = `'buckets' must be an integer from ${STATS_BUCKETS.min} to ${STATS_BUCKETS.max}`;
  throw new ValidationError(`invalid query: ${message}`, [
    { pointer: '/buckets', message, expected: `${STATS_BUCKETS.min} to ${STATS_BUCKETS.max}`, found: quote(text) },
  ]);
}

/** The statuses `status` takes, and the providers `provider` takes. */
export const RUN_FILTER_STATUSES = RUN_LIST_STATUSES;
export const RUN_FILTER_PROVIDERS: readonly string[] = Object.values(ProviderNames);

/** `GET /v1/runs` parameters as they arrive (their schema has checked the types and enums). */
export interface RunsQueryParams {
  status?: string;
  agent?: string;
  action?: string;
  provider?: string;
  error_code?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
}

/** What `GET /v1/runs` asks for. */
export interface RunsQuery {
  filter: RunFilter;
  limit: number;
  cursor?: RunCursor;
}

/** Parses the parameters, or throws a `validation_failed` error listing every problem. */
export function parseRunsQuery(params: RunsQueryParams): RunsQuery {
  const issues: ValidationIssue[] = [];
  const filter: RunFilter = {};
  if (params.status !== undefined) {
    if ((RUN_FILTER_STATUSES as readonly string[]).includes(params.status)) {
      filter.status = params.status as RunListStatus;
    } else {
      issues.push(oneOf('/status', params.status, RUN_FILTER_STATUSES));
    }
  }
  if (params.provider !== undefined) {
    if ((RUN_FILTER_PROVIDERS as readonly string[]).includes(params.provider)) filter.provider = params.provider;
    else issues.push(oneOf('/provider', params.provider, RUN_FILTER_PROVIDERS));
  }
  if (params.agent !== undefined) filter.agent = params.agent;
  if (params.action !== undefined) filter.action = params.action;
  if (params.error_code !== undefined) filter.errorCode = params.error_code;
  for (const [key, field] of [
    ['since', 'since'],
    ['until', 'until'],
  ] as const) {
    const text = params[key];
    if (text === undefined) continue;
    const at = parseInstant(text);
    if (at === undefined) {
      issues.push({
        pointer: `/${key}`,
        message: `'${key}' must be an ISO 8601 date and time with a time zone, e.g. 2025-01-31T09:30:00Z`,
        expected: 'an RFC 3339 date-time',
        found: quote(text),
      });
    } else {
      filter[field] = at;
    }
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.until <= filter.since) {
    issues.push({
      pointer: '/until',
      message: `'until' must be later than 'since' (runs accepted at or after 'since' and before 'until')`,
      expected: `later than ${filter.since.toISOString()}`,
      found: quote(params.until ?? ''),
    });
  }
  let limit: number = RUN_PAGE.default;
  if (params.limit !== undefined) {
    const n = /^[0-9]{1,9}$/.test(params.limit) ? Number(params.limit) : Number.NaN;
    if (Number.isInteger(n) && n >= 1 && n <= RUN_PAGE.max) limit = n;
    else {
      issues.push({
        pointer: '/limit',
        message: `'limit' must be an integer from 1 to ${RUN_PAGE.max}`,
        expected: `1 to ${RUN_PAGE.max}`,
        found: quote(params.limit),
      });
    }
  }
  let cursor: RunCursor | undefined;
  if (params.cursor !== undefined) {
    cursor = decodeRunCursor(params.cursor);
    if (cursor === undefined) {
      issues.push({
        pointer: '/cursor',
        message: `'cursor' is not a cursor this API handed out: pass the 'next' of the previous page unchanged`,
        found: quote(params.cursor),
      });
    }
  }
  if (issues.length > 0) {
    throw new ValidationError(`invalid query: ${issues.map((i) => i.message).join('; ')}`, issues);
  }
  return { filter, limit, ...(cursor !== undefined ? { cursor } : {}) };
}

/** The opaque cursor of a page position: base64url of `{"a": <accepted_at>, "i": <intent id>}`. */
export function encodeRunCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify({ a: cursor.acceptedAt, i: cursor.intentId })).toString('base64url');
}

// Years 1000–9999: Postgres has no year 0, and four digits is all the format has room for.
const CURSOR_AT = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const CURSOR_ID = /^int_[0-9a-f]{24,32}$/;

/** The position in a cursor {@link encodeRunCursor} made; `undefined` for anything else. */
export function decodeRunCursor(text: string): RunCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { a, i } = value as Record<string, unknown>;
  if (typeof a !== 'string' || typeof i !== 'string' || !CURSOR_AT.test(a) || !CURSOR_ID.test(i)) return undefined;
  if (Number.isNaN(Date.parse(a))) return undefined;
  return { acceptedAt: a, intentId: i };
}

const EARLIEST = Date.parse('1000-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** RFC 3339 date-time (a time zone required, as `format: date-time` has it); `undefined` otherwise. */
function parseInstant(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text.replace(' ', 'T'));
  // Within years 1000–9999 (the format's four digits, and nothing Postgres cannot hold).
  return Number.isNaN(ms) || ms < EARLIEST || ms > LATEST ? undefined : new Date(ms);
}

function oneOf(pointer: string, found: string, allowed: readonly string[]): ValidationIssue {
  const name = pointer.slice(1);
  return {
    pointer,
    message: `'${name}' must be one of ${allowed.join(', ')}`,
    expected: allowed.join(' | '),
    found: quote(found),
  };
}

function quote(text: string): string {
  return `'${text.length > 60 ? `${text.slice(0, 60)}…` : text}'`;
}
