/**
 * A local stand-in for HubSpot CRM v3 contacts, tickets and notes (create, read, update, archive,
 * search): the same paths, Bearer auth, JSON bodies, status codes and error shape
 * (`{status:"error", message, correlationId, category}`), rate-limit headers and 429s, a search
 * index that may lag writes, plus inspection and fault injection for tests and the dev stack.
 * In-memory; one process; not a conformance oracle.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, FaultPlan, readBody, sendJson, sleep } from '../faults.js';
import { HubspotSearchOperators, matchesGroups, type SearchFilter } from './search.js';

/** The token the sandbox accepts when `tokens` is not given (a private-app token look-alike). */
export const DEFAULT_HUBSPOT_SANDBOX_TOKEN = 'pat-na1-00000000-sandbox-0000-000000000000';

/** HubSpot-defined association type ids the sandbox understands. */
export const HubspotAssociationTypeIds = {
  /** Ticket → contact (what `POST /crm/v3/objects/tickets` uses in `associations`). */
  TicketToContact: 16,
  /** Note → contact (what `POST /crm/v3/objects/notes` uses in `associations`). */
  NoteToContact: 202,
} as const;

/** The association type each object type may use towards a contact. */
const ASSOCIATION_TO_CONTACT: Readonly<Record<'tickets' | 'notes', number>> = {
  tickets: HubspotAssociationTypeIds.TicketToContact,
  notes: HubspotAssociationTypeIds.NoteToContact,
};

/** Pipelines and their stages known to the sandbox (HubSpot's default support pipeline). */
export const SANDBOX_TICKET_PIPELINES: Readonly<Record<string, readonly string[]>> = { '0': ['1', '2', '3', '4'] };

/** Ticket priorities HubSpot accepts in `hs_ticket_priority`. */
const TICKET_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];

/** Properties HubSpot computes; writing them is a validation error. */
const READ_ONLY = new Set(['hs_object_id', 'createdate', 'lastmodifieddate']);

/** What every object answer carries besides the requested properties. */
const ALWAYS = ['createdate', 'hs_object_id', 'lastmodifieddate'];

/** HubSpot's default properties when a read names none. */
const DEFAULT_PROPERTIES: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname'],
  tickets: ['content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'subject'],
  notes: ['hs_note_body', 'hs_timestamp'],
};

type ObjectType = 'contacts' | 'tickets' | 'notes';

/** An association from a ticket or note to a contact, as the sandbox stores it. */
export interface HubspotSandboxAssociation {
  toObjectType: 'contacts';
  toObjectId: string;
  associationCategory: string;
  associationTypeId: number;
}

/** A stored CRM object (properties hold only non-empty values; HubSpot clears on ''). */
export interface HubspotSandboxObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: false;
}

/** A stored ticket with its associations. */
export interface HubspotSandboxTicket extends HubspotSandboxObject {
  associations: HubspotSandboxAssociation[];
}

/** Everything the sandbox holds. */
export interface HubspotSandboxState {
  contacts: HubspotSandboxObject[];
  tickets: HubspotSandboxTicket[];
  /** Notes, with their associations (the same shape as tickets); present once a note exists. */
  notes?: HubspotSandboxTicket[];
}

/** One request the sandbox received (inspection endpoints excluded). */
export interface HubspotSandboxRequest {
  method: string;
  /** Path without the query, as sent (percent-encoding kept). */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. Includes `authorization`: sandbox tokens are not secrets. */
  headers: Record<string, string>;
  /** The raw body text ('' when none). */
  body: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  json: unknown;
  /** Epoch ms of arrival. */
  at: number;
  /** Status answered; undefined while pending or when the connection was dropped. */
  status?: number;
}

/** Request-rate limits per token; `false` turns them off. */
export interface HubspotSandboxRateLimits {
  /** Requests per rolling 10 s (HubSpot private apps: 190 on Pro/Enterprise). */
  perTenSeconds?: number;
  /** Search requests per second (HubSpot: 5 per token). */
  searchPerSecond?: number;
  /** Requests per day. */
  daily?: number;
}

/** Options of {@link startHubspotSandbox}. */
export interface HubspotSandboxOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Accepted Bearer tokens; default `[DEFAULT_HUBSPOT_SANDBOX_TOKEN]`. */
  tokens?: string[];
  /** Contacts (their properties) present at start and after every `reset()`. */
  contacts?: Record<string, string>[];
  /** How long a write takes to become visible to search (HubSpot: a few seconds); default 0. */
  searchLagMs?: number;
  /** Default `{ perTenSeconds: 190, searchPerSecond: 5, daily: 250000 }`. */
  rateLimits?: HubspotSandboxRateLimits | false;
}

/** A running sandbox. */
export interface HubspotSandbox {
  /** Base URL to use as `HUBSPOT_API_URL`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Fault injection (applies to API requests, not to `/_sandbox`). */
  faults: FaultPlan;
  /** A deep copy of every contact and ticket. */
  state(): HubspotSandboxState;
  /** A copy of the requests received so far, oldest first. */
  requests(): HubspotSandboxRequest[];
  /** Forgets requests only. */
  clearRequests(): void;
  /** Back to the initial state: seeded contacts only, no requests, faults or rate-limit history. */
  reset(): void;
  /** Adds a contact directly (no auth, no faults, immediately searchable). */
  seedContact(properties: Record<string, string>): HubspotSandboxObject;
  close(): Promise<void>;
}

interface Stored {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** What search sees: snapshots that become visible at `at` (the index lags writes). */
  index: { at: number; properties: Record<string, string> }[];
  associations: HubspotSandboxAssociation[];
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface PropertyError {
  message: string;
  code: string;
  context?: { propertyName: string[] };
}

/** HubSpot's error categories by status, for answers the sandbox makes up (faults, auth, routing). */
const CATEGORIES: Record<number, { category: string; message: string }> = {
  400: { category: 'VALIDATION_ERROR', message: 'Invalid input' },
  401: {
    category: 'INVALID_AUTHENTICATION',
    message:
      'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
  },
  403: {
    category: 'MISSING_SCOPES',
    message: 'This app hasn\u2019t been granted all required scopes to make this call.',
  },
  404: { category: 'OBJECT_NOT_FOUND', message: 'resource not found' },
  405: { category: 'VALIDATION_ERROR', message: 'Method not allowed' },
  409: { category: 'CONFLICT', message: 'Conflict' },
  415: { category: 'VALIDATION_ERROR', message: 'Unsupported Media Type' },
  429: { category: 'RATE_LIMITS', message: 'You have reached your secondly limit.' },
};

function errorBody(status: number, message?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const known = CATEGORIES[status] ?? { category: 'INTERNAL_ERROR', message: 'internal error' };
  return {
    status: 'error',
    message: message ?? known.message,
    correlationId: randomUUID(),
    category: known.category,
    ...(status === 429 ? { errorType: 'RATE_LIMIT', policyName: 'SECONDLY' } : {}),
    ...extra,
  };
}

function validationFailed(errors: PropertyError[]): Answer {
  return {
    status: 400,
    body: errorBody(400, `Property values were not valid: ${JSON.stringify(errors)}`, { errors }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PROPERTY_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Starts the sandbox. HTTP inspection for the dev stack (no auth, never faulted or recorded):
 * `GET /_sandbox/state`, `GET|DELETE /_sandbox/requests`, `POST /_sandbox/faults` (a
 * {@link Fault}, or `{ "latencyMs": n }`), `DELETE /_sandbox/faults`, `POST /_sandbox/reset`,
 * `POST /_sandbox/contacts` (`{ "properties": {…} }` or an array of them) to seed contacts.
 */
export async function startHubspotSandbox(options: HubspotSandboxOptions = {}): Promise<HubspotSandbox> {
  const tokens = new Set(options.tokens ?? [DEFAULT_HUBSPOT_SANDBOX_TOKEN]);
  const lagMs = options.searchLagMs ?? 0;
  const limits =
    options.rateLimits === false
      ? undefined
      : { perTenSeconds: 190, searchPerSecond: 5, daily: 250_000, ...(options.rateLimits ?? {}) };
  const faults = new FaultPlan();
  const objects: Record<ObjectType, Map<string, Stored>> = {
    contacts: new Map(),
    tickets: new Map(),
    notes: new Map(),
  };
  const nextId: Record<ObjectType, number> = { contacts: 101, tickets: 5001, notes: 9001 };
  let recorded: HubspotSandboxRequest[] = [];
  const usage = new Map<string, { general: number[]; search: number[]; day: number }>();

  const isoNow = () => new Date().toISOString();

  function insert(type: ObjectType, properties: Record<string, string>, visibleAt: number): Stored {
    const id = String(nextId[type]++);
    const at = isoNow();
    const stored: Stored = {
      id,
      properties: clean(properties),
      createdAt: at,
      updatedAt: at,
      index: [],
      associations: [],
    };
    stored.index.push({ at: visibleAt, properties: { ...stored.properties } });
    objects[type].set(id, stored);
    return stored;
  }

  function seedContact(properties: Record<string, string>): HubspotSandboxObject {
    const props = { ...properties };
    if (props.email !== undefined) props.email = props.email.trim().toLowerCase();
    return publicObject(insert('contacts', props, 0));
  }

  function reset(): void {
    objects.contacts.clear();
    objects.tickets.clear();
    objects.notes.clear();
    nextId.contacts = 101;
    nextId.tickets = 5001;
    nextId.notes = 9001;
    recorded = [];
    usage.clear();
    faults.clear();
    for (const c of options.contacts ?? []) seedContact(c);
  }
  reset();

  /** The object as an API answer: requested properties (null when unset) plus HubSpot's always-present ones. */
  function render(type: ObjectType, o: Stored, requested: string[] | undefined, props = o.properties): unknown {
    const names = new Set([...(requested && requested.length > 0 ? requested : DEFAULT_PROPERTIES[type]), ...ALWAYS]);
    const computed: Record<string, string> = {
      ...props,
      hs_object_id: o.id,
      createdate: o.createdAt,
      lastmodifieddate: o.updatedAt,
    };
    const properties: Record<string, string | null> = {};
    for (const name of [...names].sort()) properties[name] = computed[name] ?? null;
    return { id: o.id, properties, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: false };
  }

  /** Write answers carry every property the object has. */
  const renderAll = (type: ObjectType, o: Stored) => render(type, o, Object.keys(o.properties));

  function emailOwner(email: string): Stored | undefined {
    const wanted = email.toLowerCase();
    for (const c of objects.contacts.values()) if (c.properties.email === wanted) return c;
    return undefined;
  }

  /** Checks a `properties` object; returns string values or the validation errors. */
  function checkProperties(
    type: ObjectType,
    raw: unknown,
    creating: boolean,
  ): { ok: true; properties: Record<string, string> } | { ok: false; answer: Answer } {
    if (!isObject(raw)) {
      return {
        ok: false,
        answer: { status: 400, body: errorBody(400, 'Invalid input JSON: "properties" must be an object') },
      };
    }
    const errors: PropertyError[] = [];
    const properties: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      const ctx = { propertyName: [name] };
      if (!PROPERTY_NAME.test(name)) {
        errors.push({ message: `Property "${name}" does not exist`, code: 'PROPERTY_DOESNT_EXIST', context: ctx });
        continue;
      }
      if (READ_ONLY.has(name)) {
        errors.push({ message: `${name} is a read only property; its value cannot be set.`, code: 'READ_ONLY_VALUE' });
        continue;
      }
      if (value === null) properties[name] = '';
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        properties[name] = String(value);
      else errors.push({ message: `${JSON.stringify(value)} is not a valid value for ${name}`, code: 'INVALID_TYPE' });
    }
    if (type === 'contacts' && properties.email !== undefined && properties.email !== '') {
      properties.email = properties.email.trim().toLowerCase();
      if (!EMAIL.test(properties.email)) {
        errors.push({
          message: `Email address ${properties.email} is invalid`,
          code: 'INVALID_EMAIL',
          context: { propertyName: ['email'] },
        });
      }
    }
    if (type === 'tickets') {
      const priority = properties.hs_ticket_priority;
      if (priority !== undefined && priority !== '' && !TICKET_PRIORITIES.includes(priority)) {
        errors.push({
          message: `${priority} was not one of the allowed options: ${TICKET_PRIORITIES.join(', ')}`,
          code: 'INVALID_OPTION',
          context: { propertyName: ['hs_ticket_priority'] },
        });
      }
      const pipeline = properties.hs_pipeline ?? (creating ? '0' : undefined);
      if (pipeline !== undefined) {
        const stages = SANDBOX_TICKET_PIPELINES[pipeline];
        if (stages === undefined) {
          errors.push({
            message: `${pipeline} is not a valid pipeline id`,
            code: 'INVALID_OPTION',
            context: { propertyName: ['hs_pipeline'] },
          });
        } else if (properties.hs_pipeline_stage !== undefined && !stages.includes(properties.hs_pipeline_stage)) {
          errors.push({
            message: `${properties.hs_pipeline_stage} is not a valid stage of pipeline ${pipeline}`,
            code: 'INVALID_OPTION',
            context: { propertyName: ['hs_pipeline_stage'] },
          });
        }
      }
      if (creating) {
        for (const required of ['subject', 'hs_pipeline_stage']) {
          if ((properties[required] ?? '') === '') {
            errors.push({
              message: `${required} is required`,
              code: 'REQUIRED_PROPERTY',
              context: { propertyName: [required] },
            });
          }
        }
      }
    }
    if (type === 'notes' && creating) {
      const at = properties.hs_timestamp ?? '';
      if (at === '') {
        errors.push({
          message: 'hs_timestamp is required',
          code: 'REQUIRED_PROPERTY',
          context: { propertyName: ['hs_timestamp'] },
        });
      } else if (!/^\d+$/.test(at) && Number.isNaN(Date.parse(at))) {
        errors.push({
          message: `${at} is not a valid timestamp (epoch milliseconds or ISO 8601)`,
          code: 'INVALID_DATE',
          context: { propertyName: ['hs_timestamp'] },
        });
      }
      if ((properties.hs_note_body ?? '').length > 65_536) {
        errors.push({
          message: 'hs_note_body is longer than 65536 characters',
          code: 'INVALID_LENGTH',
          context: { propertyName: ['hs_note_body'] },
        });
      }
    }
    return errors.length > 0 ? { ok: false, answer: validationFailed(errors) } : { ok: true, properties };
  }

  function checkAssociations(
    type: 'tickets' | 'notes',
    raw: unknown,
  ): { ok: true; list: HubspotSandboxAssociation[] } | { ok: false; answer: Answer } {
    if (raw === undefined) return { ok: true, list: [] };
    const bad = (message: string): { ok: false; answer: Answer } => ({
      ok: false,
      answer: { status: 400, body: errorBody(400, message) },
    });
    if (!Array.isArray(raw)) return bad('Invalid input JSON: "associations" must be an array');
    const list: HubspotSandboxAssociation[] = [];
    for (const [i, a] of raw.entries()) {
      if (!isObject(a) || !isObject(a.to) || !Array.isArray(a.types) || a.types.length === 0) {
        return bad(`associations[${i}] needs "to": {"id"} and a non-empty "types"`);
      }
      const toId = typeof a.to.id === 'string' || typeof a.to.id === 'number' ? String(a.to.id) : '';
      if (!objects.contacts.has(toId))
        return bad(`One or more associations are invalid: contact ${toId} does not exist`);
      const typeId = ASSOCIATION_TO_CONTACT[type];
      for (const t of a.types) {
        if (!isObject(t) || t.associationCategory !== 'HUBSPOT_DEFINED' || t.associationTypeId !== typeId) {
          return bad(
            `associations[${i}]: ${JSON.stringify(t)} is not a valid association type from ${type.slice(0, -1)} to contact (HUBSPOT_DEFINED ${typeId})`,
          );
        }
        list.push({
          toObjectType: 'contacts',
          toObjectId: toId,
          associationCategory: t.associationCategory,
          associationTypeId: typeId,
        });
      }
    }
    return { ok: true, list };
  }

  function create(type: ObjectType, json: unknown): Answer {
    if (!isObject(json)) return { status: 400, body: errorBody(400, 'Invalid input JSON: expected an object') };
    const checked = checkProperties(type, json.properties, true);
    if (!checked.ok) return checked.answer;
    const props = checked.properties;
    if (type === 'contacts' && props.email) {
      const owner = emailOwner(props.email);
      if (owner) return { status: 409, body: errorBody(409, `Contact already exists. Existing ID: ${owner.id}`) };
    }
    let associations: HubspotSandboxAssociation[] = [];
    if (type === 'tickets' || type === 'notes') {
      const checkedAssoc = checkAssociations(type, json.associations);
      if (!checkedAssoc.ok) return checkedAssoc.answer;
      associations = checkedAssoc.list;
      if (type === 'tickets') props.hs_pipeline ??= '0';
    } else if (
      json.associations !== undefined &&
      !(Array.isArray(json.associations) && json.associations.length === 0)
    ) {
      return { status: 400, body: errorBody(400, 'The sandbox supports associations on tickets and notes only') };
    }
    const stored = insert(type, props, Date.now() + lagMs);
    stored.associations = associations;
    return { status: 201, body: renderAll(type, stored) };
  }

  function lookup(type: ObjectType, rawId: string, idProperty: string | null): Stored | undefined | Answer {
    const id = decodeURIComponent(rawId);
    if (idProperty === null || idProperty === 'hs_object_id') return objects[type].get(id);
    if (type === 'contacts' && idProperty === 'email') return emailOwner(id);
    return { status: 400, body: errorBody(400, `${idProperty} is not a unique identifier property of ${type}`) };
  }

  function read(type: ObjectType, rawId: string, query: URLSearchParams): Answer {
    const found = lookup(type, rawId, query.get('idProperty'));
    if (found === undefined) return { status: 404, body: errorBody(404) };
    if ('status' in found) return found;
    const requested = (query.get('properties') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    return { status: 200, body: render(type, found, requested.length > 0 ? requested : undefined) };
  }

  function update(type: ObjectType, rawId: string, query: URLSearchParams, json: unknown): Answer {
    const found = lookup(type, rawId, query.get('idProperty'));
    if (found === undefined) return { status: 404, body: errorBody(404) };
    if ('status' in found) return found;
    if (!isObject(json)) return { status: 400, body: errorBody(400, 'Invalid input JSON: expected an object') };
    const checked = checkProperties(type, json.properties, false);
    if (!checked.ok) return checked.answer;
    if (type === 'contacts' && checked.properties.email) {
      const owner = emailOwner(checked.properties.email);
      if (owner && owner.id !== found.id) {
        return { status: 409, body: errorBody(409, `Contact already exists. Existing ID: ${owner.id}`) };
      }
    }
    found.properties = clean({ ...found.properties, ...checked.properties });
    found.updatedAt = isoNow();
    found.index.push({ at: Date.now() + lagMs, properties: { ...found.properties } });
    return { status: 200, body: renderAll(type, found) };
  }

  /**
   * `DELETE /crm/v3/objects/{type}/{id}`: archives the object (it leaves the state, reads and
   * search) and answers 204 without a body. An id the sandbox does not hold answers 404; a
   * contact's removal also drops the ticket associations that pointed to it.
   */
  function archive(type: ObjectType, rawId: string): Answer {
    const id = decodeURIComponent(rawId);
    if (!objects[type].delete(id)) return { status: 404, body: errorBody(404) };
    if (type === 'contacts') {
      for (const t of [...objects.tickets.values(), ...objects.notes.values()]) {
        t.associations = t.associations.filter((a) => a.toObjectId !== id);
      }
    }
    return { status: 204, body: undefined };
  }

  function search(type: ObjectType, json: unknown): Answer {
    const bad = (message: string): Answer => ({ status: 400, body: errorBody(400, message) });
    if (!isObject(json)) return bad('Invalid input JSON: expected an object');
    const groupsRaw = json.filterGroups ?? [];
    if (!Array.isArray(groupsRaw)) return bad('filterGroups must be an array');
    if (groupsRaw.length > 6) return bad(`Too many filter groups (${groupsRaw.length}); the maximum is 6`);
    const groups: SearchFilter[][] = [];
    let total = 0;
    for (const [gi, g] of groupsRaw.entries()) {
      if (!isObject(g) || !Array.isArray(g.filters)) return bad(`filterGroups[${gi}].filters must be an array`);
      if (g.filters.length > 6) return bad(`filterGroups[${gi}] has ${g.filters.length} filters; the maximum is 6`);
      total += g.filters.length;
      const filters: SearchFilter[] = [];
      for (const [fi, f] of g.filters.entries()) {
        const where = `filterGroups[${gi}].filters[${fi}]`;
        if (!isObject(f) || typeof f.propertyName !== 'string' || typeof f.operator !== 'string')
          return bad(`${where} needs propertyName and operator`);
        const operator = HubspotSearchOperators.find((o) => o === f.operator);
        if (operator === undefined) return bad(`${where}: unknown operator ${f.operator}`);
        const scalar = (v: unknown) =>
          typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
        const filter: SearchFilter = { propertyName: f.propertyName, operator };
        const value = scalar(f.value);
        if (value !== undefined) filter.value = value;
        const high = scalar(f.highValue);
        if (high !== undefined) filter.highValue = high;
        if (Array.isArray(f.values)) filter.values = f.values.map((v) => scalar(v) ?? '');
        const needsValue = !['HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'IN', 'NOT_IN'].includes(operator);
        if (needsValue && value === undefined) return bad(`${where}: operator ${operator} needs a value`);
        if ((operator === 'IN' || operator === 'NOT_IN') && filter.values === undefined)
          return bad(`${where}: operator ${operator} needs values`);
        filters.push(filter);
      }
      groups.push(filters);
    }
    if (total > 18) return bad(`Too many filters (${total}); the maximum is 18`);
    const limit = json.limit === undefined ? 10 : json.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > 200)
      return bad('limit must be an integer between 0 and 200');
    const after = json.after === undefined ? 0 : Number(json.after);
    if (!Number.isInteger(after) || after < 0) return bad('after must be a non-negative integer');
    if (
      json.properties !== undefined &&
      !(Array.isArray(json.properties) && json.properties.every((p) => typeof p === 'string'))
    )
      return bad('properties must be an array of strings');
    const requested = json.properties as string[] | undefined;
    const now = Date.now();
    const matches: { o: Stored; props: Record<string, string> }[] = [];
    for (const o of [...objects[type].values()].sort((a, b) => Number(a.id) - Number(b.id))) {
      const visible = o.index.filter((s) => s.at <= now).at(-1);
      if (visible && matchesGroups(groups, visible.properties)) matches.push({ o, props: visible.properties });
    }
    const page = matches.slice(after, after + limit);
    const next = after + limit < matches.length ? { paging: { next: { after: String(after + limit) } } } : {};
    return {
      status: 200,
      body: {
        total: matches.length,
        results: page.map((m) => render(type, m.o, requested, m.props)),
        ...next,
      },
    };
  }

  /** Per-token limits; undefined when allowed, else the 429. Adds HubSpot's headers on normal calls. */
  function rateLimit(token: string, isSearch: boolean, headers: Record<string, string>): Answer | undefined {
    if (!limits) return undefined;
    const now = Date.now();
    let u = usage.get(token);
    if (!u) {
      u = { general: [], search: [], day: 0 };
      usage.set(token, u);
    }
    u.general = u.general.filter((t) => t > now - 10_000);
    u.search = u.search.filter((t) => t > now - 1_000);
    const limited = (windowMs: number, hits: number[], policy: string, message: string): Answer => ({
      status: 429,
      body: errorBody(429, message, { policyName: policy }),
      headers: { 'retry-after': String(Math.max(1, Math.ceil(((hits[0] ?? now) + windowMs - now) / 1000))) },
    });
    if (u.day >= limits.daily) {
      return {
        status: 429,
        body: errorBody(429, 'You have reached your daily limit.', { policyName: 'DAILY' }),
        headers: { 'retry-after': '3600' },
      };
    }
    if (isSearch) {
      if (u.search.length >= limits.searchPerSecond)
        return limited(1_000, u.search, 'SECONDLY', 'You have reached your secondly limit.');
      u.search.push(now);
      u.day++;
      // HubSpot's search answers carry no rate-limit headers.
      return undefined;
    }
    if (u.general.length >= limits.perTenSeconds)
      return limited(10_000, u.general, 'TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.');
    u.general.push(now);
    u.day++;
    const secondly = Math.ceil(limits.perTenSeconds / 10);
    const lastSecond = u.general.filter((t) => t > now - 1_000).length;
    Object.assign(headers, {
      'x-hubspot-ratelimit-daily': String(limits.daily),
      'x-hubspot-ratelimit-daily-remaining': String(limits.daily - u.day),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': String(limits.perTenSeconds),
      'x-hubspot-ratelimit-remaining': String(limits.perTenSeconds - u.general.length),
      'x-hubspot-ratelimit-secondly': String(secondly),
      'x-hubspot-ratelimit-secondly-remaining': String(Math.max(0, secondly - lastSecond)),
    });
    return undefined;
  }

  const ROUTE = /^\/crm\/v3\/objects\/(contacts|tickets|notes)(?:\/([^/]+))?\/?$/;

  function handleApi(req: IncomingMessage, url: URL, body: string, json: unknown): Answer {
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    const token = match?.[1];
    if (token === undefined || !tokens.has(token)) return { status: 401, body: errorBody(401) };
    const route = ROUTE.exec(url.pathname);
    if (!route) return { status: 404, body: errorBody(404, `No route for ${req.method} ${url.pathname}`) };
    const type = route[1] as ObjectType;
    const id = route[2];
    const method = req.method ?? 'GET';
    const isSearch = id === 'search' && method === 'POST';
    const headers: Record<string, string> = {};
    const limited = rateLimit(token, isSearch, headers);
    if (limited) return limited;
    if ((method === 'POST' || method === 'PATCH') && body !== '') {
      if (!(req.headers['content-type'] ?? '').toLowerCase().includes('application/json'))
        return { status: 415, body: errorBody(415), headers };
      if (json === undefined) return { status: 400, body: errorBody(400, 'Invalid input JSON on line 1'), headers };
    }
    let answer: Answer;
    if (id === undefined) {
      answer = method === 'POST' ? create(type, json) : { status: 405, body: errorBody(405) };
    } else if (isSearch) {
      answer = search(type, json);
    } else if (method === 'GET') {
      answer = read(type, id, url.searchParams);
    } else if (method === 'PATCH') {
      answer = update(type, id, url.searchParams, json);
    } else if (method === 'DELETE') {
      answer = archive(type, id);
    } else {
      answer = { status: 405, body: errorBody(405) };
    }
    return { ...answer, headers: { ...headers, ...answer.headers } };
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
    let json: unknown;
    try {
      json = body === '' ? undefined : JSON.parse(body);
    } catch {
      sendJson(res, 400, { error: 'body is not JSON' });
      return;
    }
    const method = req.method ?? 'GET';
    const done = () => {
      res.writeHead(204);
      res.end();
    };
    if (path === '/_sandbox/state' && method === 'GET') return sendJson(res, 200, api.state());
    if (path === '/_sandbox/requests' && method === 'GET') return sendJson(res, 200, api.requests());
    if (path === '/_sandbox/requests' && method === 'DELETE') {
      api.clearRequests();
      return done();
    }
    if (path === '/_sandbox/reset' && method === 'POST') {
      reset();
      return done();
    }
    if (path === '/_sandbox/faults' && method === 'DELETE') {
      faults.clear();
      return done();
    }
    if (path === '/_sandbox/faults' && method === 'POST') {
      if (!isObject(json)) return sendJson(res, 400, { error: 'expected a fault object' });
      if (typeof json.latencyMs === 'number') faults.latencyMs = json.latencyMs;
      else faults.add(json as Fault);
      return done();
    }
    if (path === '/_sandbox/contacts' && method === 'POST') {
      const list = Array.isArray(json) ? json : [json];
      const valid = list.every(
        (c) => isObject(c) && isObject(c.properties) && Object.values(c.properties).every((v) => typeof v === 'string'),
      );
      if (!valid)
        return sendJson(res, 400, { error: 'expected { "properties": { name: string } } or an array of them' });
      return sendJson(
        res,
        201,
        list.map((c) => seedContact((c as { properties: Record<string, string> }).properties)),
      );
    }
    sendJson(res, 404, { error: `no sandbox route ${method} ${path}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const body = await readBody(req);
    if (url.pathname.startsWith('/_sandbox/')) return handleControl(req, res, url.pathname, body);
    let json: unknown;
    try {
      json = body === '' ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const entry: HubspotSandboxRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      json,
      at: Date.now(),
    };
    recorded.push(entry);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const fault = faults.take(entry.method, url.pathname);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status !== undefined) {
      entry.status = fault.status;
      const extra: Record<string, string> =
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return sendJson(res, fault.status, errorBody(fault.status), extra);
    }
    const answer = handleApi(req, url, body, json);
    if (fault?.dropAfterCommit) {
      // The change above is kept; the client never learns of it.
      req.socket.destroy();
      return;
    }
    entry.status = answer.status;
    if (answer.status === 204) {
      res.writeHead(204, answer.headers ?? {});
      res.end();
      return;
    }
    sendJson(res, answer.status, answer.body, answer.headers ?? {});
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(500, (err as Error).message));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';

  const api: HubspotSandbox = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    faults,
    state: () => ({
      contacts: [...objects.contacts.values()].map(publicObject),
      tickets: [...objects.tickets.values()].map((t) => ({
        ...publicObject(t),
        associations: structuredClone(t.associations),
      })),
      ...(objects.notes.size === 0
        ? {}
        : {
            notes: [...objects.notes.values()].map((n) => ({
              ...publicObject(n),
              associations: structuredClone(n.associations),
            })),
          }),
    }),
    requests: () => structuredClone(recorded),
    clearRequests: () => {
      recorded = [];
    },
    reset,
    seedContact,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return api;
}

/** Drops cleared ('' ) values: HubSpot treats an empty string as "no value". */
function clean(properties: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== ''));
}

function publicObject(o: Stored): HubspotSandboxObject {
  return {
    id: o.id,
    properties: { ...o.properties },
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    archived: false,
  };
}
