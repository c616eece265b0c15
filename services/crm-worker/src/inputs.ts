/**
 * Checks the payloads of `crm.lookup`, `crm.update` and `crm.ticket` (see `@switchboard/actions`
 * operations) before anything reaches HubSpot. The chain compiler produces valid payloads, but
 * the worker is a trust boundary: a malformed payload fails once, non-retryably, with every
 * problem listed, instead of becoming a confusing HubSpot 400 after retries.
 */
import type { CrmContactRef, CrmLookupInput, CrmTicketInput, CrmUpdateInput, TextParts } from '@switchboard/actions';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import { ProviderError, ProviderErrorCodes } from '@switchboard/providers';
import { HUBSPOT } from './hubspot-client.js';

/** Stable codes of CRM-specific failures. */
export const CrmErrorCodes = {
  /** A lookup (or an update/upsert) got neither a phone number nor an e-mail address to go by. */
  MissingIdentifier: 'crm_missing_identifier',
} as const;

/** The properties a lookup returns when the payload names none. */
export const DEFAULT_LOOKUP_PROPERTIES = ['firstname', 'lastname', 'email', 'phone'] as const;

/** HubSpot internal property names: lower case letters, digits and `_`. */
const PROPERTY_NAME = /^[a-z][a-z0-9_]{0,99}$/;
const PIPELINE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;

type Obj = { [key: string]: JsonValue };
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects problems so one failure names all of them. */
class Problems {
  readonly list: string[] = [];
  add(message: string): void {
    this.list.push(message);
  }
  throwIfAny(operation: string): void {
    if (this.list.length > 0) {
      throw new ProviderError(
        HUBSPOT,
        ProviderErrorCodes.InvalidInput,
        `invalid ${operation} payload: ${this.list.join('; ')}`,
        {
          details: { problems: this.list },
        },
      );
    }
  }
}

function root(payload: JsonValue, operation: string): Obj {
  if (!isObject(payload)) {
    throw new ProviderError(HUBSPOT, ProviderErrorCodes.InvalidInput, `invalid ${operation} payload: not an object`);
  }
  return payload;
}

function credential(p: Obj, problems: Problems): string {
  const value = p.credential;
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add('credential must name a HubSpot credential');
    return '';
  }
  return value;
}

/** An optional string member; null counts as absent (a context value that resolved to nothing). */
function optionalString(p: Obj, key: string, where: string, problems: Problems): string | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && key === 'id') return String(value);
  if (typeof value !== 'string') {
    problems.add(`${where}${key} must be a string`);
    return undefined;
  }
  return value.trim() === '' ? undefined : value.trim();
}

function contactRef(value: JsonValue | undefined, problems: Problems): CrmContactRef | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    problems.add('contact must be an object with id, email or phone');
    return undefined;
  }
  const ref: CrmContactRef = {};
  const id = optionalString(value, 'id', 'contact.', problems);
  const email = optionalString(value, 'email', 'contact.', problems);
  const phone = optionalString(value, 'phone', 'contact.', problems);
  if (id !== undefined) {
    if (/^\d{1,30}$/.test(id)) ref.id = id;
    else problems.add(`contact.id '${id.slice(0, 40)}' is not a HubSpot object id (digits)`);
  }
  if (email !== undefined) ref.email = email;
  if (phone !== undefined) ref.phone = phone;
  return ref;
}

function textParts(p: Obj, key: string, problems: Problems): TextParts {
  const value = p[key];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) {
    problems.add(`${key} must be text parts (an array)`);
    return [];
  }
  return value;
}

/** Validates a `crm.lookup` payload; an absent property list means the default one. */
export function parseLookupInput(payload: JsonValue): CrmLookupInput {
  const p = root(payload, 'crm.lookup');
  const problems = new Problems();
  const input: CrmLookupInput = { credential: credential(p, problems), properties: [...DEFAULT_LOOKUP_PROPERTIES] };
  const phone = optionalString(p, 'phone', '', problems);
  const email = optionalString(p, 'email', '', problems);
  if (phone !== undefined) input.phone = phone;
  if (email !== undefined) input.email = email;
  if (p.properties !== undefined && p.properties !== null) {
    if (!Array.isArray(p.properties) || p.properties.length > 100) {
      problems.add('properties must be a list of at most 100 HubSpot property names');
    } else {
      const bad = p.properties.filter((n) => typeof n !== 'string' || !PROPERTY_NAME.test(n));
      if (bad.length > 0) {
        problems.add(`not HubSpot property names: ${bad.map((b) => JSON.stringify(b).slice(0, 40)).join(', ')}`);
      }
      input.properties = [...new Set(p.properties.filter((n): n is string => typeof n === 'string'))];
    }
  }
  problems.throwIfAny('crm.lookup');
  return input;
}

/** Validates a `crm.update` payload. */
export function parseUpdateInput(payload: JsonValue): CrmUpdateInput {
  const p = root(payload, 'crm.update');
  const problems = new Problems();
  const input: CrmUpdateInput = {
    credential: credential(p, problems),
    contact: contactRef(p.contact, problems) ?? {},
    properties: {},
  };
  if (!isObject(p.properties)) {
    problems.add('properties must be an object of HubSpot property name → text parts');
  } else {
    for (const [name, value] of Object.entries(p.properties)) {
      if (!PROPERTY_NAME.test(name)) problems.add(`'${name.slice(0, 40)}' is not a HubSpot property name`);
      else input.properties[name] = Array.isArray(value) ? value : [value];
    }
  }
  problems.throwIfAny('crm.update');
  return input;
}

/** Validates a `crm.ticket` payload. */
export function parseTicketInput(payload: JsonValue): CrmTicketInput {
  const p = root(payload, 'crm.ticket');
  const problems = new Problems();
  const input: CrmTicketInput = {
    credential: credential(p, problems),
    subject: textParts(p, 'subject', problems),
    content: textParts(p, 'content', problems),
    pipeline: '',
    stage: '',
  };
  for (const key of ['pipeline', 'stage'] as const) {
    const value = p[key];
    if (typeof value === 'string' && PIPELINE_ID.test(value)) input[key] = value;
    else problems.add(`${key} must be a HubSpot ${key} id (letters, digits, _ or -)`);
  }
  const priority = p.priority;
  if (priority !== undefined && priority !== null) {
    const known = PRIORITIES.find((x) => x === priority);
    if (known === undefined) problems.add(`priority must be one of ${PRIORITIES.join(', ')}`);
    else input.priority = known;
  }
  const contact = contactRef(p.contact, problems);
  if (contact !== undefined) input.contact = contact;
  problems.throwIfAny('crm.ticket');
  return input;
}

/** The failure of an operation that has no phone number or e-mail address to go by. */
export function missingIdentifier(what: string): SwitchboardError {
  return new SwitchboardError(CrmErrorCodes.MissingIdentifier, `${what} needs a phone number or an e-mail address`, {
    retryable: false,
  });
}

/** HubSpot object ids are numeric; anything else never reaches a path. */
const OBJECT_ID = /^[0-9]{1,32}$/;

/** Payload of `crm.archive_ticket` / `crm.archive_contact` (undo operations of test calls). */
export interface CrmArchiveInput {
  credential: string;
  /** The ticket's or contact's id. */
  id: string;
}

/** Validates an archive payload: `{ credential, ticket_id }` or `{ credential, contact_id }`. */
export function parseArchiveInput(
  payload: JsonValue,
  operation: string,
  idKey: 'ticket_id' | 'contact_id',
): CrmArchiveInput {
  const p = root(payload, operation);
  const problems = new Problems();
  const input: CrmArchiveInput = { credential: credential(p, problems), id: '' };
  const id = p[idKey];
  if (typeof id === 'string' && OBJECT_ID.test(id)) input.id = id;
  else problems.add(`${idKey} must be a HubSpot object id (digits)`);
  problems.throwIfAny(operation);
  return input;
}

/** Payload of `crm.restore_contact`: the values to put back exactly ('' clears a property). */
export interface CrmRestoreInput {
  credential: string;
  contactId: string;
  properties: Record<string, string>;
}

/** Validates a `crm.restore_contact` payload `{ credential, contact_id, properties }`. */
export function parseRestoreInput(payload: JsonValue): CrmRestoreInput {
  const p = root(payload, 'crm.restore_contact');
  const problems = new Problems();
  const input: CrmRestoreInput = { credential: credential(p, problems), contactId: '', properties: {} };
  if (typeof p.contact_id === 'string' && OBJECT_ID.test(p.contact_id)) input.contactId = p.contact_id;
  else problems.add('contact_id must be a HubSpot object id (digits)');
  if (!isObject(p.properties) || Object.keys(p.properties).length === 0) {
    problems.add('properties must be a non-empty object of HubSpot property name → string');
  } else {
    for (const [name, value] of Object.entries(p.properties)) {
      if (!PROPERTY_NAME.test(name) || typeof value !== 'string')
        problems.add(`'${name.slice(0, 40)}' must be a HubSpot property name with a string value`);
      else input.properties[name] = value;
    }
  }
  problems.throwIfAny('crm.restore_contact');
  return input;
}
