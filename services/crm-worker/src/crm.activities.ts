/**
 * The CRM worker's activities: `crm.lookup`, `crm.update`, `crm.ticket` and `crm.note` against
 * HubSpot CRM v3, and the undo operations of test calls: `crm.archive_ticket`,
 * `crm.archive_contact`, `crm.archive_note`, `crm.restore_contact`. Payloads arrive parsed by
 * their specs (`@switchboard/operations`).
 *
 * Decisions (see also `phone.ts`):
 * - Lookup: by phone first — one search over `phone` and `mobilephone` for the E.164 form, the
 *   form given and the national form, the best-matching contact first — else by e-mail (`EQ`,
 *   lower-cased). Neither identifier → non-retryable `crm_missing_identifier`.
 * - Update resolves the contact by id (a PATCH straight away; 404 falls through), then e-mail
 *   (a read by `idProperty=email`, which unlike search sees fresh writes), then phone. When none
 *   matches it creates the contact (upsert) with the written properties plus the e-mail and phone
 *   it was looked up by: the sales flow records a lead's qualification whether or not the caller
 *   was in the CRM. Properties whose text joins to '' (or blanks) are never sent, so unanswered
 *   questions never clear CRM values; with nothing to write, nothing is created. Updates use
 *   the same effect record as tickets: a repeated (intent, step) returns the recorded result, a
 *   lost create by e-mail is caught by HubSpot's 409 on the duplicate e-mail (then the contact
 *   is read and patched), and a lost phone-only create is looked for by phone before retrying.
 * - Ticket creation is exactly-once per (intent, step): an effect record is claimed first; a
 *   `done` record returns its result. HubSpot has no idempotency header, so every ticket carries
 *   a marker derived from the key — a letters-only token appended to its description (or the
 *   whole value of `HUBSPOT_TICKET_MARKER_PROPERTY`, e.g. a custom property) — and the record
 *   notes when a create was sent. A retry after an attempt whose create may have committed
 *   (timeout, dropped connection, 5xx) searches for the marker until the search index has caught
 *   up (`HUBSPOT_SEARCH_SETTLE_MS` after that send), and only then creates again. A create that
 *   HubSpot certainly refused (4xx, 429) releases the claim so the retry starts clean. Limit:
 *   two attempts running at once (an activity timeout while the first still runs) both wait
 *   out the settle time and re-check the record, but could both create if neither finished.
 * - 401/403 mark the credential `auth_failed` (non-retryable `provider_auth_failed`).
 * - Test calls (`call.sandbox`) record how to undo what they did (`sandbox_effects`): a created
 *   ticket or contact is archived; an updated contact gets its previous values back, read just
 *   before the PATCH and recorded before it is sent (the first record of a step wins, so a retry
 *   never records the already-updated values). Limit: a create whose answer was lost and whose
 *   retry meets it as an existing contact (409 by e-mail) is recorded as an update, not a create.
 * - Undo operations are idempotent: archiving what is gone (404) succeeds; restoring a contact
 *   that is gone fails `provider_not_found`, which the compensation counts as nothing left to undo.
 */

import { createHash } from 'node:crypto';
import {
  type CrmContactRef,
  type CrmLookupInput,
  type CrmLookupResult,
  type CrmTicketInput,
  type CrmUpdateInput,
  type CrmUpdateResult,
  joinTextParts,
} from '@switchboard/actions';
import { effectKey, type ProviderActivities, type ProviderCall } from '@switchboard/chains';
import { ConfigError, EnvReader, type JsonValue, SwitchboardError } from '@switchboard/common';
import {
  type CrmArchiveInput,
  type CrmNoteInput,
  type CrmNoteResult,
  CrmOperations,
  type CrmRestoreInput,
  crmArchiveContact,
  crmArchiveNote,
  crmArchiveTicket,
  crmLookup,
  crmNote,
  crmRestoreContact,
  crmTicket,
  crmUpdate,
  MAX_NOTE_BODY,
} from '@switchboard/operations';
import {
  noteSandboxEffect,
  ProviderError,
  ProviderErrorCodes,
  type ProviderWorkerContext,
  runEffectOnce,
  serveOperation,
  withCredentialClient,
} from '@switchboard/providers';
import {
  createHubspotClient,
  HUBSPOT,
  type HubspotClient,
  type HubspotFilter,
  type HubspotObject,
  type HubspotProperties,
} from './hubspot-client.js';
import { phoneDigits, phoneSearchValues, toE164 } from './phone.js';

export { CrmOperations };

/** Stable codes of CRM-specific failures. */
export const CrmErrorCodes = {
  /** A lookup (or an update/upsert) got neither a phone number nor an e-mail address to go by. */
  MissingIdentifier: 'crm_missing_identifier',
} as const;

/** The failure of an operation that has no phone number or e-mail address to go by. */
export function missingIdentifier(what: string): SwitchboardError {
  return new SwitchboardError(CrmErrorCodes.MissingIdentifier, `${what} needs a phone number or an e-mail address`, {
    retryable: false,
  });
}

/** Settings read from the environment (all optional). */
export interface CrmSettings {
  /** `HUBSPOT_API_URL`, default `https://api.hubapi.com`. */
  baseUrl: string;
  /** `HUBSPOT_TIMEOUT_MS`, per request, default 10 000. */
  timeoutMs: number;
  /**
   * `HUBSPOT_SEARCH_SETTLE_MS`, default 5 000: how long after a possibly-committed create the
   * search index may still not show it. Bounded well below the activity's 30 s timeout.
   */
  searchSettleMs: number;
  /** `HUBSPOT_TICKET_MARKER_PROPERTY`, default `content` (marker appended to the description). */
  ticketMarkerProperty: string;
  /** `CRM_DEFAULT_COUNTRY_CODE`, default `1`: the country of phone numbers written without one. */
  defaultCountryCode: string;
}

/** Reads {@link CrmSettings}; throws a `config_invalid` error naming every bad variable. */
export function readCrmSettings(env: NodeJS.ProcessEnv): CrmSettings {
  const r = new EnvReader(env);
  const settings: CrmSettings = {
    baseUrl: r.string('HUBSPOT_API_URL', 'https://api.hubapi.com'),
    timeoutMs: r.int('HUBSPOT_TIMEOUT_MS', 10_000, 100, 60_000),
    searchSettleMs: r.int('HUBSPOT_SEARCH_SETTLE_MS', 5_000, 0, 20_000),
    ticketMarkerProperty: r.string('HUBSPOT_TICKET_MARKER_PROPERTY', 'content'),
    defaultCountryCode: r.string('CRM_DEFAULT_COUNTRY_CODE', '1'),
  };
  const problems: string[] = [];
  try {
    r.done();
  } catch (err) {
    // Merged with the checks below, so one start-up failure names every bad variable.
    if (!(err instanceof ConfigError)) throw err;
    const listed = err.details?.problems;
    problems.push(...(Array.isArray(listed) ? listed.map(String) : [err.message]));
  }
  if (!/^https?:\/\/[^/]/.test(settings.baseUrl) || !URL.canParse(settings.baseUrl))
    problems.push(`HUBSPOT_API_URL must be an http(s) URL, got '${settings.baseUrl}'`);
  if (!/^[a-z][a-z0-9_]{0,99}$/.test(settings.ticketMarkerProperty))
    problems.push('HUBSPOT_TICKET_MARKER_PROPERTY must be a HubSpot property name');
  if (!/^[1-9]\d{0,2}$/.test(settings.defaultCountryCode))
    problems.push(`CRM_DEFAULT_COUNTRY_CODE must be a country calling code such as 1 or 44`);
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** `provider_ref` of an effect whose create was sent at this epoch ms but has no answer yet. */
const PENDING = 'pending@';

/** What a claimed effect knows about an earlier attempt. */
interface PriorAttempt {
  /** When the earlier attempt sent its create; undefined when it never sent one. */
  sentAt: number | undefined;
}

/** What {@link EffectScope.recover} found: the earlier attempt's object, or its recorded result. */
type Recovered<T> = { found: T } | { done: JsonValue };

/** The tools {@link runEffect} gives the operation. */
interface EffectScope {
  /**
   * Called before a non-idempotent create: when an earlier attempt sent one without learning
   * the outcome, keeps probing (HubSpot's search lags writes) until the settle time after that
   * send has passed. Returns the earlier attempt's result when found.
   */
  recover<T>(probe: () => Promise<T | undefined>): Promise<Recovered<T> | undefined>;
  /** Performs a non-idempotent create, noting first that it was sent. */
  create<T>(send: () => Promise<T>): Promise<T>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A letters-only marker (tokenisers split letters from digits; letters stay one token). */
export function ticketMarker(tenantId: string, key: string): string {
  const hash = createHash('sha256').update(`${tenantId}\u0000${key}`).digest();
  let out = 'swbref';
  for (let i = 0; i < 24; i++) out += String.fromCharCode(97 + ((hash[i] ?? 0) % 26));
  return out;
}

/** Builds the CRM activities (keyed by operation name) for `runProviderWorker`. */
export function createCrmActivities(ctx: ProviderWorkerContext): ProviderActivities {
  const settings = readCrmSettings(ctx.env);
  const cc = settings.defaultCountryCode;

  /** Runs `fn` with a client for the call's credential; reports what HubSpot thought of it. */
  function withHubspot<T>(call: ProviderCall, credential: string, fn: (client: HubspotClient) => Promise<T>) {
    const use = { tenantId: call.tenantId, credential, provider: HUBSPOT, kind: 'hubspot' as const };
    return withCredentialClient(
      ctx.credentials,
      ctx.log,
      use,
      (secret) => {
        const accessToken = secret.accessToken;
        if (typeof accessToken !== 'string' || accessToken === '') {
          throw new SwitchboardError('credential_invalid', `credential '${credential}' has no accessToken`);
        }
        const client = createHubspotClient({
          http: ctx.http,
          baseUrl: settings.baseUrl,
          accessToken,
          timeoutMs: settings.timeoutMs,
        });
        return { client };
      },
      fn,
    );
  }

  /**
   * Exactly-once wrapper around an operation that creates something (see the module doc). The
   * claim is released on failure only when no create can have committed: then a retry may act
   * as if this attempt never happened.
   */
  async function runEffect(
    call: ProviderCall,
    fn: (scope: EffectScope) => Promise<{ result: JsonValue; ref: string | undefined }>,
  ): Promise<JsonValue> {
    return runEffectOnce(ctx.db, call, async (claim) => {
      const claimed = claim.earlier;
      const prior: PriorAttempt | undefined = claimed
        ? {
            sentAt: claimed.providerRef?.startsWith(PENDING)
              ? Number(claimed.providerRef.slice(PENDING.length))
              : undefined,
          }
        : undefined;
      let mayHaveCommitted = false;
      const scope: EffectScope = {
        async recover(probe) {
          if (prior?.sentAt === undefined || !Number.isFinite(prior.sentAt)) return undefined;
          const deadline = prior.sentAt + settings.searchSettleMs;
          for (;;) {
            const found = await probe();
            if (found !== undefined) {
              ctx.log.info(
                { tenantId: call.tenantId, intentId: call.intentId, key: claim.key },
                'found what an earlier attempt created',
              );
              return { found };
            }
            // A concurrent attempt (e.g. after an activity timeout) may have finished meanwhile.
            const record = await claim.reread();
            if (record?.state === 'done' && record.result !== null) return { done: record.result };
            const wait = deadline - Date.now();
            if (wait <= 0) return undefined;
            // Search is limited to a few requests per second per token: poll gently.
            await sleep(Math.min(wait, 500));
          }
        },
        async create(send) {
          await claim.noteRef(`${PENDING}${Date.now()}`);
          try {
            const out = await send();
            mayHaveCommitted = true;
            return out;
          } catch (err) {
            // Only a definite refusal (4xx, 429) proves nothing was created; 5xx, timeouts and
            // dropped connections may come after HubSpot committed.
            const definite = err instanceof ProviderError && err.httpStatus !== undefined && err.httpStatus < 500;
            if (!definite) mayHaveCommitted = true;
            // This send certainly created nothing: a retry need only wait for an earlier one.
            else if (claimed?.providerRef) await claim.noteRef(claimed.providerRef);
            throw err;
          }
        },
      };
      try {
        return await fn(scope);
      } catch (err) {
        if (!mayHaveCommitted) {
          await claim
            .releaseIfFresh()
            .catch((releaseErr: unknown) =>
              ctx.log.error({ err: releaseErr, key: claim.key }, 'could not release an effect claim'),
            );
        }
        throw err;
      }
    });
  }

  /** Contacts matching a phone number, best match first (exact E.164, then as given, then national). */
  async function searchByPhone(
    client: HubspotClient,
    values: string[],
    properties: readonly string[],
  ): Promise<{ best: HubspotObject | undefined; total: number }> {
    const filterGroups = ['phone', 'mobilephone'].flatMap((propertyName) =>
      values.map((value) => ({ filters: [{ propertyName, operator: 'EQ', value } satisfies HubspotFilter] })),
    );
    const page = await client.searchContacts({
      filterGroups,
      properties: [...new Set([...properties, 'phone', 'mobilephone'])],
      limit: 10,
    });
    const wanted = values.map(phoneDigits);
    const rank = (o: HubspotObject) => {
      const held = [o.properties.phone, o.properties.mobilephone].map((p) => phoneDigits(p ?? ''));
      const i = wanted.findIndex((w) => w !== '' && held.includes(w));
      return i < 0 ? wanted.length : i;
    };
    const ranked = page.results.map((o, i) => ({ o, i, r: rank(o) })).sort((a, b) => a.r - b.r || a.i - b.i);
    return { best: ranked[0]?.o, total: page.total };
  }

  async function searchByEmail(
    client: HubspotClient,
    email: string,
    properties: readonly string[],
  ): Promise<{ best: HubspotObject | undefined; total: number }> {
    const page = await client.searchContacts({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email }] }],
      properties: [...properties],
      limit: 10,
    });
    return { best: page.results[0], total: page.total };
  }

  /** The normalised identifiers of a contact reference. */
  function identifiers(ref: CrmContactRef | undefined) {
    const email = ref?.email?.trim().toLowerCase() || undefined;
    const phones = ref?.phone ? phoneSearchValues(ref.phone, cc) : [];
    return { id: ref?.id, email, phones, phone: ref?.phone };
  }

  /** Finds a contact's id by id (verified), e-mail (read), then phone (search). */
  async function resolveContactId(client: HubspotClient, ref: CrmContactRef): Promise<string | undefined> {
    const ids = identifiers(ref);
    if (ids.id !== undefined && (await client.getContact(ids.id, { properties: ['email'] }))) return ids.id;
    if (ids.email !== undefined) {
      const byEmail = await client.getContact(ids.email, { idProperty: 'email', properties: ['email'] });
      if (byEmail) return byEmail.id;
    }
    if (ids.phones.length > 0) return (await searchByPhone(client, ids.phones, ['email'])).best?.id;
    return undefined;
  }

  async function lookup(call: ProviderCall, input: CrmLookupInput): Promise<JsonValue> {
    const phones = input.phone !== undefined ? phoneSearchValues(input.phone, cc) : [];
    const email = input.email?.toLowerCase();
    if (phones.length === 0 && email === undefined) throw missingIdentifier('crm.lookup');
    return withHubspot(call, input.credential, async (client) => {
      let match = phones.length > 0 ? await searchByPhone(client, phones, input.properties) : undefined;
      if (match?.best === undefined && email !== undefined)
        match = await searchByEmail(client, email, input.properties);
      const best = match?.best;
      const result: CrmLookupResult = best
        ? {
            found: true,
            contact_id: best.id,
            properties: Object.fromEntries(input.properties.map((name) => [name, best.properties[name] ?? null])),
            total: match?.total ?? 1,
          }
        : { found: false, contact_id: null, properties: {}, total: 0 };
      return result as unknown as JsonValue;
    });
  }

  async function update(call: ProviderCall, input: CrmUpdateInput): Promise<JsonValue> {
    const properties: HubspotProperties = {};
    for (const [name, parts] of Object.entries(input.properties)) {
      const text = joinTextParts(parts);
      // An unanswered question renders as '' (or blanks): sending it would clear the CRM value.
      if (text.trim() !== '') properties[name] = text;
    }
    const names = Object.keys(properties);
    const ids = identifiers(input.contact);
    if (ids.id === undefined && ids.email === undefined && ids.phones.length === 0) {
      throw missingIdentifier('crm.update');
    }
    const done = (contactId: string) => {
      const result: CrmUpdateResult = { contact_id: contactId, updated_properties: names };
      return { result: result as unknown as JsonValue, ref: contactId };
    };
    /**
     * A test call records the values the PATCH is about to overwrite, before sending it. False
     * when the contact does not exist (a stale id). Outside test calls: true, without a request.
     */
    const remember = async (client: HubspotClient, contactId: string): Promise<boolean> => {
      if (!call.sandbox || names.length === 0) return true;
      const current = await client.getContact(contactId, { properties: names });
      if (current === null) return false;
      await noteSandboxEffect(ctx.db, call, HUBSPOT, {
        providerRef: contactId,
        description: `HubSpot contact ${contactId}: ${names.join(', ')} updated`,
        undo: {
          operation: CrmOperations.RestoreContact,
          payload: {
            credential: input.credential,
            contact_id: contactId,
            properties: Object.fromEntries(names.map((n) => [n, current.properties[n] ?? ''])),
          },
        },
      });
      return true;
    };
    const write = async (client: HubspotClient, contactId: string) => {
      if (names.length > 0) {
        await remember(client, contactId);
        await client.updateContact(contactId, properties);
      }
      return done(contactId);
    };
    return withHubspot(call, input.credential, (client) =>
      runEffect(call, async (scope) => {
        if (ids.id !== undefined) {
          try {
            if (names.length > 0) {
              if (await remember(client, ids.id)) return done((await client.updateContact(ids.id, properties)).id);
            } else if (await client.getContact(ids.id, { properties: ['email'] })) return done(ids.id);
          } catch (err) {
            // A stale id (merged or deleted contact): fall back to e-mail and phone.
            if (!(err instanceof ProviderError && err.code === ProviderErrorCodes.NotFound)) throw err;
          }
        }
        if (ids.email !== undefined) {
          const byEmail = await client.getContact(ids.email, { idProperty: 'email', properties: ['email'] });
          if (byEmail) return write(client, byEmail.id);
        }
        if (ids.phones.length > 0) {
          const byPhone = (await searchByPhone(client, ids.phones, ['email'])).best;
          if (byPhone) return write(client, byPhone.id);
        }
        if (names.length === 0 || (ids.email === undefined && ids.phones.length === 0)) {
          throw new ProviderError(
            HUBSPOT,
            ProviderErrorCodes.NotFound,
            'no HubSpot contact matches, and nothing to create it with',
          );
        }
        if (ids.email === undefined) {
          // Without an e-mail HubSpot cannot refuse a duplicate: look for an earlier attempt's contact first.
          const earlier = await scope.recover(async () => (await searchByPhone(client, ids.phones, ['email'])).best);
          if (earlier && 'found' in earlier) return write(client, earlier.found.id);
          if (earlier) return { result: earlier.done, ref: undefined };
        }
        const create: HubspotProperties = { ...properties };
        if (ids.email !== undefined && create.email === undefined) create.email = ids.email;
        if (ids.phone !== undefined && create.phone === undefined) create.phone = toE164(ids.phone, cc) ?? ids.phone;
        try {
          const created = await scope.create(() => client.createContact(create));
          ctx.log.info(
            { tenantId: call.tenantId, intentId: call.intentId, contactId: created.id },
            'hubspot contact created',
          );
          await noteSandboxEffect(ctx.db, call, HUBSPOT, {
            providerRef: created.id,
            description: `HubSpot contact ${created.id} created (${create.email ?? create.phone ?? ''})`,
            undo: {
              operation: CrmOperations.ArchiveContact,
              payload: { credential: input.credential, contact_id: created.id },
            },
          });
          return done(created.id);
        } catch (err) {
          // The e-mail exists after all (created meanwhile, or by our own earlier attempt): update it.
          if (!(err instanceof ProviderError && err.code === ProviderErrorCodes.Conflict && ids.email !== undefined))
            throw err;
          const existing = await client.getContact(ids.email, { idProperty: 'email', properties: ['email'] });
          if (!existing) throw err;
          return write(client, existing.id);
        }
      }),
    );
  }

  async function ticket(call: ProviderCall, input: CrmTicketInput): Promise<JsonValue> {
    const subject = joinTextParts(input.subject).trim();
    if (subject === '') {
      throw new ProviderError(
        HUBSPOT,
        ProviderErrorCodes.InvalidInput,
        'invalid crm.ticket payload: the subject is empty',
      );
    }
    const content = joinTextParts(input.content);
    const marker = ticketMarker(call.tenantId, effectKey(call));
    const markerProperty = settings.ticketMarkerProperty;
    const properties: HubspotProperties = {
      subject,
      content,
      hs_pipeline: input.pipeline,
      hs_pipeline_stage: input.stage,
    };
    if (input.priority !== undefined) properties.hs_ticket_priority = input.priority;
    if (markerProperty === 'content') {
      properties.content = `${content.trimEnd()}${content.trim() === '' ? '' : '\n\n'}Switchboard reference: ${marker}`;
    } else {
      properties[markerProperty] = marker;
    }
    const findExisting = async (client: HubspotClient): Promise<HubspotObject | undefined> => {
      const filter: HubspotFilter =
        markerProperty === 'content'
          ? { propertyName: 'content', operator: 'CONTAINS_TOKEN', value: marker }
          : { propertyName: markerProperty, operator: 'EQ', value: marker };
      const page = await client.searchTickets({
        filterGroups: [{ filters: [filter] }],
        properties: ['subject', markerProperty],
        limit: 10,
      });
      // Tokenised search may be fuzzier than wanted: keep only exact carriers of the marker.
      return page.results
        .filter((t) => (t.properties[markerProperty] ?? '').includes(marker))
        .sort((a, b) => Number(a.id) - Number(b.id))[0];
    };
    const result = await withHubspot(call, input.credential, (client) =>
      runEffect(call, async (scope) => {
        const earlier = await scope.recover(() => findExisting(client));
        if (earlier && 'found' in earlier) return { result: { ticket_id: earlier.found.id }, ref: earlier.found.id };
        if (earlier) return { result: earlier.done, ref: undefined };
        const contactId = input.contact ? await resolveContactId(client, input.contact) : undefined;
        const created = await scope.create(() =>
          client.createTicket(properties, contactId !== undefined ? { contactId } : {}),
        );
        ctx.log.info(
          {
            tenantId: call.tenantId,
            intentId: call.intentId,
            ticketId: created.id,
            associated: contactId !== undefined,
          },
          'hubspot ticket created',
        );
        return { result: { ticket_id: created.id }, ref: created.id };
      }),
    );
    // Every path (made now, found after a lost answer, recorded earlier) names the ticket.
    const ticketId = (result as { ticket_id?: unknown } | null)?.ticket_id;
    if (typeof ticketId === 'string') {
      await noteSandboxEffect(ctx.db, call, HUBSPOT, {
        providerRef: ticketId,
        description: `HubSpot ticket ${ticketId}: ${subject}`,
        undo: {
          operation: CrmOperations.ArchiveTicket,
          payload: { credential: input.credential, ticket_id: ticketId },
        },
      });
    }
    return result;
  }

  /**
   * `crm.note`: a note on the contact's timeline, exactly once like a ticket (effect record plus
   * a marker in the note's text, searched before creating again after a lost answer).
   */
  async function note(call: ProviderCall, input: CrmNoteInput): Promise<JsonValue> {
    const text = joinTextParts(input.body).trim();
    if (text === '' || text.length > MAX_NOTE_BODY) {
      throw new ProviderError(
        HUBSPOT,
        ProviderErrorCodes.InvalidInput,
        `invalid crm.note payload: the body is ${text === '' ? 'empty' : `longer than ${MAX_NOTE_BODY} characters`}`,
      );
    }
    const marker = ticketMarker(call.tenantId, effectKey(call));
    const properties: HubspotProperties = {
      hs_note_body: `${text}\n\nSwitchboard reference: ${marker}`,
      hs_timestamp: input.timestamp ?? new Date().toISOString(),
    };
    const findExisting = async (client: HubspotClient): Promise<HubspotObject | undefined> => {
      const page = await client.searchNotes({
        filterGroups: [{ filters: [{ propertyName: 'hs_note_body', operator: 'CONTAINS_TOKEN', value: marker }] }],
        properties: ['hs_note_body'],
        limit: 10,
      });
      return page.results
        .filter((n) => (n.properties.hs_note_body ?? '').includes(marker))
        .sort((a, b) => Number(a.id) - Number(b.id))[0];
    };
    const result = await withHubspot(call, input.credential, (client) =>
      runEffect(call, async (scope) => {
        const contactId = input.contact ? ((await resolveContactId(client, input.contact)) ?? null) : null;
        const earlier = await scope.recover(() => findExisting(client));
        if (earlier && 'found' in earlier) {
          return { result: { note_id: earlier.found.id, contact_id: contactId }, ref: earlier.found.id };
        }
        if (earlier) return { result: earlier.done, ref: undefined };
        const created = await scope.create(() =>
          client.createNote(properties, contactId !== null ? { contactId } : {}),
        );
        ctx.log.info(
          { tenantId: call.tenantId, intentId: call.intentId, noteId: created.id, associated: contactId !== null },
          'hubspot note created',
        );
        const done: CrmNoteResult = { note_id: created.id, contact_id: contactId };
        return { result: done as unknown as JsonValue, ref: created.id };
      }),
    );
    const noteId = (result as { note_id?: unknown } | null)?.note_id;
    if (typeof noteId === 'string') {
      await noteSandboxEffect(ctx.db, call, HUBSPOT, {
        providerRef: noteId,
        description: `HubSpot note ${noteId}`,
        undo: { operation: CrmOperations.ArchiveNote, payload: { credential: input.credential, note_id: noteId } },
      });
    }
    return result;
  }

  /** Archives a ticket or contact; one already gone counts as archived (`archived: false`). */
  async function archive(
    call: ProviderCall,
    input: CrmArchiveInput,
    type: 'ticket' | 'contact' | 'note',
  ): Promise<JsonValue> {
    const idKey = `${type}_id` as const;
    const archived = await withHubspot(call, input.credential, (client) =>
      type === 'ticket'
        ? client.archiveTicket(input.id)
        : type === 'note'
          ? client.archiveNote(input.id)
          : client.archiveContact(input.id),
    );
    ctx.log.info(
      { tenantId: call.tenantId, intentId: call.intentId, [idKey]: input.id, archived },
      `hubspot ${type} archived`,
    );
    return { [idKey]: input.id, archived };
  }

  async function restoreContact(call: ProviderCall, input: CrmRestoreInput): Promise<JsonValue> {
    await withHubspot(call, input.credential, (client) => client.updateContact(input.contactId, input.properties));
    return { contact_id: input.contactId, restored_properties: Object.keys(input.properties) };
  }

  return {
    ...serveOperation(crmLookup, lookup),
    ...serveOperation(crmUpdate, update),
    ...serveOperation(crmTicket, ticket),
    ...serveOperation(crmArchiveTicket, (call, input) => archive(call, input, 'ticket')),
    ...serveOperation(crmArchiveContact, (call, input) => archive(call, input, 'contact')),
    ...serveOperation(crmRestoreContact, restoreContact),
    ...serveOperation(crmNote, note),
    ...serveOperation(crmArchiveNote, (call, input) => archive(call, input, 'note')),
  };
}
