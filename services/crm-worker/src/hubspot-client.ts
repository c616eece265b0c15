/**
 * A small HubSpot CRM v3 client: contacts (search, read, create, update, archive) and tickets
 * (create with a contact association, search, archive). Every request goes through the provider
 * HTTP kit (one span each, bounded time and size); non-2xx answers become {@link ProviderError}s
 * classified by status, carrying HubSpot's own `message`, `category` and `correlationId` — never
 * the token.
 */
import { errorForStatus, ProviderError, ProviderErrorCodes, type ProviderHttp } from '@switchboard/providers';

/** Provider name used in errors and spans. */
export const HUBSPOT = 'hubspot';

/** HubSpot-defined association type ids this worker uses. */
export const HubspotAssociationTypes = {
  /** Ticket → contact. */
  TicketToContact: 16,
  /** Note → contact. */
  NoteToContact: 202,
} as const;

/** Search operators (HubSpot CRM v3). */
export const HubspotOperators = {
  Eq: 'EQ',
  Neq: 'NEQ',
  Lt: 'LT',
  Lte: 'LTE',
  Gt: 'GT',
  Gte: 'GTE',
  Between: 'BETWEEN',
  In: 'IN',
  NotIn: 'NOT_IN',
  HasProperty: 'HAS_PROPERTY',
  NotHasProperty: 'NOT_HAS_PROPERTY',
  ContainsToken: 'CONTAINS_TOKEN',
  NotContainsToken: 'NOT_CONTAINS_TOKEN',
} as const;
/** One of {@link HubspotOperators}. */
export type HubspotOperator = (typeof HubspotOperators)[keyof typeof HubspotOperators];

/** One search filter. */
export interface HubspotFilter {
  propertyName: string;
  operator: HubspotOperator;
  value?: string;
  values?: string[];
  highValue?: string;
}

/** A search: filter groups are OR-ed (at most 6), filters inside a group AND-ed. */
export interface HubspotSearchRequest {
  filterGroups: { filters: HubspotFilter[] }[];
  properties?: string[];
  /** Page size, at most 200 (HubSpot's default is 10). */
  limit?: number;
  /** Paging cursor from `paging.next.after` of the previous page. */
  after?: string;
  sorts?: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[];
}

/** A CRM object as HubSpot returns it. Property values are strings or null. */
export interface HubspotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt?: string;
  updatedAt?: string;
  archived?: boolean;
}

/** A page of search results. */
export interface HubspotSearchResponse {
  total: number;
  results: HubspotObject[];
  paging?: { next?: { after: string } };
}

/** Property values to write (HubSpot stores strings; an empty string clears a value). */
export type HubspotProperties = Record<string, string>;

/** The HubSpot operations the CRM worker uses. */
export interface HubspotClient {
  /** `POST /crm/v3/objects/contacts/search`. The index lags writes by a few seconds. */
  searchContacts(request: HubspotSearchRequest): Promise<HubspotSearchResponse>;
  /**
   * `GET /crm/v3/objects/contacts/{id}`; with `idProperty: 'email'` the id is an e-mail address.
   * Reads are not served by the search index, so they see writes at once. Null when not found.
   */
  getContact(id: string, options?: { properties?: string[]; idProperty?: string }): Promise<HubspotObject | null>;
  /** `POST /crm/v3/objects/contacts` (409 `provider_conflict` when the e-mail exists). */
  createContact(properties: HubspotProperties): Promise<HubspotObject>;
  /** `PATCH /crm/v3/objects/contacts/{id}` (404 `provider_not_found` when it does not exist). */
  updateContact(id: string, properties: HubspotProperties): Promise<HubspotObject>;
  /** `POST /crm/v3/objects/tickets`, associated with `contactId` when given (type 16). */
  createTicket(properties: HubspotProperties, options?: { contactId?: string }): Promise<HubspotObject>;
  /** `POST /crm/v3/objects/tickets/search`. */
  searchTickets(request: HubspotSearchRequest): Promise<HubspotSearchResponse>;
  /**
   * `DELETE /crm/v3/objects/contacts/{id}` (archive). True when HubSpot archived it; false when it
   * answered 404 (already archived or never there): either way the contact is gone.
   */
  archiveContact(id: string): Promise<boolean>;
  /** `DELETE /crm/v3/objects/tickets/{id}` (archive); false on 404, as {@link archiveContact}. */
  archiveTicket(id: string): Promise<boolean>;
  /** `POST /crm/v3/objects/notes`, associated with the contact when `contactId` is given. */
  createNote(properties: HubspotProperties, options?: { contactId?: string }): Promise<HubspotObject>;
  /** `POST /crm/v3/objects/notes/search`. */
  searchNotes(request: HubspotSearchRequest): Promise<HubspotSearchResponse>;
  /** `DELETE /crm/v3/objects/notes/{id}` (archive); false on 404, as {@link archiveContact}. */
  archiveNote(id: string): Promise<boolean>;
}

/** Options of {@link createHubspotClient}. */
export interface HubspotClientOptions {
  http: ProviderHttp;
  /** e.g. `https://api.hubapi.com` or a sandbox URL; a trailing `/` is ignored. */
  baseUrl: string;
  /** Private-app token, sent as `Authorization: Bearer …`. */
  accessToken: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Creates a {@link HubspotClient}. */
export function createHubspotClient(o: HubspotClientOptions): HubspotClient {
  const base = o.baseUrl.replace(/\/+$/, '');
  const headers = {
    authorization: `Bearer ${o.accessToken}`,
    accept: 'application/json',
    'content-type': 'application/json',
  };

  async function call(
    operation: string,
    method: string,
    path: string,
    body?: unknown,
    notFoundIsNull = false,
  ): Promise<unknown> {
    const response = await o.http.send({
      provider: HUBSPOT,
      operation: `hubspot.${operation}`,
      method,
      url: `${base}${path}`,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
    if (response.status === 404 && notFoundIsNull) return null;
    if (response.status < 200 || response.status >= 300) {
      throw errorForStatus(HUBSPOT, response.status, describeError(response.text), response.headers);
    }
    return response.json();
  }

  /** A DELETE: HubSpot answers 204 without a body, so nothing is parsed; 404 → false. */
  async function archive(operation: string, path: string): Promise<boolean> {
    const response = await o.http.send({
      provider: HUBSPOT,
      operation: `hubspot.${operation}`,
      method: 'DELETE',
      url: `${base}${path}`,
      headers: { authorization: headers.authorization, accept: headers.accept },
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
    if (response.status === 404) return false;
    if (response.status < 200 || response.status >= 300) {
      throw errorForStatus(HUBSPOT, response.status, describeError(response.text), response.headers);
    }
    return true;
  }

  const object = (value: unknown, what: string): HubspotObject => {
    if (!isObject(value) || typeof value.id !== 'string' || !isObject(value.properties)) {
      throw new ProviderError(HUBSPOT, ProviderErrorCodes.InvalidResponse, `hubspot sent an invalid ${what}`, {
        retryable: true,
      });
    }
    return value as unknown as HubspotObject;
  };

  const searchPage = (value: unknown): HubspotSearchResponse => {
    if (!isObject(value) || typeof value.total !== 'number' || !Array.isArray(value.results)) {
      throw new ProviderError(HUBSPOT, ProviderErrorCodes.InvalidResponse, 'hubspot sent an invalid search answer', {
        retryable: true,
      });
    }
    value.results.forEach((r) => {
      object(r, 'search result');
    });
    return value as unknown as HubspotSearchResponse;
  };

  return {
    async searchContacts(request) {
      return searchPage(await call('contacts.search', 'POST', '/crm/v3/objects/contacts/search', request));
    },
    async getContact(id, options = {}) {
      // Built by hand so the property list keeps its commas, as HubSpot documents it.
      const query: string[] = [];
      if (options.properties && options.properties.length > 0)
        query.push(`properties=${options.properties.map(encodeURIComponent).join(',')}`);
      if (options.idProperty !== undefined) query.push(`idProperty=${encodeURIComponent(options.idProperty)}`);
      const qs = query.length > 0 ? `?${query.join('&')}` : '';
      const found = await call(
        'contacts.get',
        'GET',
        `/crm/v3/objects/contacts/${encodeURIComponent(id)}${qs}`,
        undefined,
        true,
      );
      return found === null ? null : object(found, 'contact');
    },
    async createContact(properties) {
      return object(await call('contacts.create', 'POST', '/crm/v3/objects/contacts', { properties }), 'contact');
    },
    async updateContact(id, properties) {
      const path = `/crm/v3/objects/contacts/${encodeURIComponent(id)}`;
      return object(await call('contacts.update', 'PATCH', path, { properties }), 'contact');
    },
    async createTicket(properties, options = {}) {
      const body = { properties, ...toContact(options.contactId, HubspotAssociationTypes.TicketToContact) };
      return object(await call('tickets.create', 'POST', '/crm/v3/objects/tickets', body), 'ticket');
    },
    async createNote(properties, options = {}) {
      const body = { properties, ...toContact(options.contactId, HubspotAssociationTypes.NoteToContact) };
      return object(await call('notes.create', 'POST', '/crm/v3/objects/notes', body), 'note');
    },
    async searchNotes(request) {
      return searchPage(await call('notes.search', 'POST', '/crm/v3/objects/notes/search', request));
    },
    async searchTickets(request) {
      return searchPage(await call('tickets.search', 'POST', '/crm/v3/objects/tickets/search', request));
    },
    archiveContact: (id) => archive('contacts.archive', `/crm/v3/objects/contacts/${encodeURIComponent(id)}`),
    archiveTicket: (id) => archive('tickets.archive', `/crm/v3/objects/tickets/${encodeURIComponent(id)}`),
    archiveNote: (id) => archive('notes.archive', `/crm/v3/objects/notes/${encodeURIComponent(id)}`),
  };
}

/** The `associations` member of a create that links the new object to a contact (none without one). */
function toContact(contactId: string | undefined, associationTypeId: number) {
  if (contactId === undefined) return {};
  const types = [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId }];
  return { associations: [{ to: { id: contactId }, types }] };
}

/**
 * HubSpot's error answer as one line: `message (category, correlation …)`, bounded. The body is
 * HubSpot's own text about our request; it never contains the token.
 */
function describeError(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  if (!isObject(parsed)) return '';
  const message = typeof parsed.message === 'string' ? parsed.message.slice(0, 500) : '';
  const tags = [
    typeof parsed.category === 'string' ? parsed.category : undefined,
    typeof parsed.correlationId === 'string' ? `correlation ${parsed.correlationId}` : undefined,
  ].filter((t) => t !== undefined);
  return tags.length > 0 ? `${message} (${tags.join(', ')})` : message;
}
