/**
 * The HubSpot CRM operations (`crm.*`, served by the CRM worker): their specs and payload
 * parsers. A payload is checked before anything reaches HubSpot: the chain compiler produces
 * valid payloads, but the worker is a trust boundary, and a malformed payload fails once,
 * non-retryably, with every problem listed, instead of becoming a confusing HubSpot 400 after
 * retries.
 */
import {
  BuiltinOperations,
  type CrmContactRef,
  type CrmLookupInput,
  type CrmLookupResult,
  type CrmTicketInput,
  type CrmTicketResult,
  type CrmUpdateInput,
  type CrmUpdateResult,
  type TextParts,
} from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import { defineOperation, invalidPayload, READ_ONLY } from './spec.js';

/** Operation names of the CRM worker. */
export const CrmOperations = {
  Lookup: BuiltinOperations.CrmLookup,
  Update: BuiltinOperations.CrmUpdate,
  Ticket: BuiltinOperations.CrmTicket,
  /** Undo of a test call's ticket: `DELETE /crm/v3/objects/tickets/{ticket_id}`. */
  ArchiveTicket: 'crm.archive_ticket',
  /** Undo of a test call's created contact: `DELETE /crm/v3/objects/contacts/{contact_id}`. */
  ArchiveContact: 'crm.archive_contact',
  /** Undo of a test call's contact update: PATCH the previous values back ('' clears). */
  RestoreContact: 'crm.restore_contact',
  /** HubSpot `POST /crm/v3/objects/notes`: a note on the contact's timeline. */
  Note: 'crm.note',
  /** Undo of a test call's note: `DELETE /crm/v3/objects/notes/{note_id}`. */
  ArchiveNote: 'crm.archive_note',
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
      throw invalidPayload(`invalid ${operation} payload: ${this.list.join('; ')}`, { problems: this.list });
    }
  }
}

function root(payload: unknown, operation: string): Obj {
  if (!isObject(payload)) throw invalidPayload(`invalid ${operation} payload: not an object`);
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
export function parseLookupInput(payload: unknown): CrmLookupInput {
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
export function parseUpdateInput(payload: unknown): CrmUpdateInput {
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
export function parseTicketInput(payload: unknown): CrmTicketInput {
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
  payload: unknown,
  operation: string,
  idKey: 'ticket_id' | 'contact_id' | 'note_id',
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
export function parseRestoreInput(payload: unknown): CrmRestoreInput {
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

const ITSELF_AN_UNDO = { reversible: false, why: 'it is itself the undo of a test call' } as const;

/** `crm.lookup`: HubSpot `POST /crm/v3/objects/contacts/search`. */
export const crmLookup = defineOperation<CrmLookupInput, CrmLookupResult>({
  name: CrmOperations.Lookup,
  family: 'Crm',
  summary: 'Finds a contact by phone number, else e-mail.',
  traits: READ_ONLY,
  parse: parseLookupInput,
});

/** `crm.update`: HubSpot `PATCH /crm/v3/objects/contacts/{id}` (or a create: upsert). */
export const crmUpdate = defineOperation<CrmUpdateInput, CrmUpdateResult>({
  name: CrmOperations.Update,
  family: 'Crm',
  summary: 'Writes properties of a contact, creating it when none matches.',
  traits: {
    reversibility: {
      reversible: true,
      undo: [CrmOperations.RestoreContact, CrmOperations.ArchiveContact],
      how: 'the values read just before the PATCH are written back; a contact it created is archived',
    },
    exactlyOnce: 'effect-record',
  },
  parse: parseUpdateInput,
});

/** `crm.ticket`: HubSpot `POST /crm/v3/objects/tickets`. */
export const crmTicket = defineOperation<CrmTicketInput, CrmTicketResult>({
  name: CrmOperations.Ticket,
  family: 'Crm',
  summary: 'Creates a ticket, associated with the contact when it can be resolved.',
  traits: {
    reversibility: { reversible: true, undo: [CrmOperations.ArchiveTicket], how: 'the ticket is archived' },
    exactlyOnce: 'effect-record',
  },
  parse: parseTicketInput,
});

/** Result of `crm.archive_ticket` / `crm.archive_contact`; `archived: false` when it was gone already. */
export type CrmArchiveResult = { ticket_id: string; archived: boolean } | { contact_id: string; archived: boolean };

/** `crm.archive_ticket`: `DELETE /crm/v3/objects/tickets/{ticket_id}`. */
export const crmArchiveTicket = defineOperation<CrmArchiveInput, CrmArchiveResult>({
  name: CrmOperations.ArchiveTicket,
  family: 'Crm',
  summary: 'Archives a ticket (one already gone counts as archived).',
  traits: { reversibility: ITSELF_AN_UNDO, exactlyOnce: 'idempotent' },
  parse: (payload) => parseArchiveInput(payload, CrmOperations.ArchiveTicket, 'ticket_id'),
});

/** `crm.archive_contact`: `DELETE /crm/v3/objects/contacts/{contact_id}`. */
export const crmArchiveContact = defineOperation<CrmArchiveInput, CrmArchiveResult>({
  name: CrmOperations.ArchiveContact,
  family: 'Crm',
  summary: 'Archives a contact (one already gone counts as archived).',
  traits: { reversibility: ITSELF_AN_UNDO, exactlyOnce: 'idempotent' },
  parse: (payload) => parseArchiveInput(payload, CrmOperations.ArchiveContact, 'contact_id'),
});

/** Result of `crm.restore_contact`. */
export interface CrmRestoreResult {
  contact_id: string;
  restored_properties: string[];
}

/** `crm.restore_contact`: PATCH a contact's previous values back. */
export const crmRestoreContact = defineOperation<CrmRestoreInput, CrmRestoreResult>({
  name: CrmOperations.RestoreContact,
  family: 'Crm',
  summary: "Writes a contact's recorded previous values back ('' clears).",
  traits: { reversibility: ITSELF_AN_UNDO, exactlyOnce: 'idempotent' },
  parse: parseRestoreInput,
});

/** Longest note body HubSpot accepts (`hs_note_body`), in characters. */
export const MAX_NOTE_BODY = 65_536;

/** Payload of `crm.note`. */
export interface CrmNoteInput {
  credential: string;
  /** The note's text (`hs_note_body`); must not join to blanks. */
  body: TextParts;
  /** Associate the note with this contact when it can be resolved (absent: no association). */
  contact?: CrmContactRef;
  /** When it happened (`hs_timestamp`, ISO 8601); absent: when it is created. */
  timestamp?: string;
}
/** Result of `crm.note`. */
export interface CrmNoteResult {
  note_id: string;
  /** The contact it is associated with; `null` when none was given or none matched. */
  contact_id: string | null;
}

/** Validates a `crm.note` payload. */
export function parseNoteInput(payload: unknown): CrmNoteInput {
  const p = root(payload, 'crm.note');
  const problems = new Problems();
  const input: CrmNoteInput = { credential: credential(p, problems), body: textParts(p, 'body', problems) };
  if (p.body === undefined || p.body === null) problems.add('body must be the note text (text parts)');
  const contact = contactRef(p.contact, problems);
  if (contact !== undefined) input.contact = contact;
  const timestamp = optionalString(p, 'timestamp', '', problems);
  if (timestamp !== undefined) {
    if (/^\d{4}-\d{2}-\d{2}T/.test(timestamp) && !Number.isNaN(Date.parse(timestamp))) input.timestamp = timestamp;
    else problems.add(`timestamp '${timestamp.slice(0, 40)}' is not an ISO 8601 date and time`);
  }
  problems.throwIfAny('crm.note');
  return input;
}

/** `crm.note`: HubSpot `POST /crm/v3/objects/notes`, associated with the contact. */
export const crmNote = defineOperation<CrmNoteInput, CrmNoteResult>({
  name: CrmOperations.Note,
  family: 'Crm',
  summary: "Logs a note on the contact's timeline.",
  traits: {
    reversibility: { reversible: true, undo: [CrmOperations.ArchiveNote], how: 'the note is archived' },
    exactlyOnce: 'effect-record',
  },
  parse: parseNoteInput,
});

/** `crm.archive_note`: `DELETE /crm/v3/objects/notes/{note_id}`. */
export const crmArchiveNote = defineOperation<CrmArchiveInput, { note_id: string; archived: boolean }>({
  name: CrmOperations.ArchiveNote,
  family: 'Crm',
  summary: 'Archives a note (one already gone counts as archived).',
  traits: { reversibility: ITSELF_AN_UNDO, exactlyOnce: 'idempotent' },
  parse: (payload) => parseArchiveInput(payload, CrmOperations.ArchiveNote, 'note_id'),
});

/** Every `crm.*` operation. */
export const CRM_OPERATIONS = [
  crmLookup,
  crmUpdate,
  crmTicket,
  crmNote,
  crmArchiveTicket,
  crmArchiveContact,
  crmArchiveNote,
  crmRestoreContact,
] as const;
