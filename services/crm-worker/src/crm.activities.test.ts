import type { ProviderActivities } from '@switchboard/chains';
import type { Logger } from '@switchboard/common';
import { listCredentials, listSandboxEffects } from '@switchboard/db';
import { type ProviderTestEnv, type RunOperation, startProviderTestEnv } from '@switchboard/provider-testing';
import type { ProviderWorkerContext } from '@switchboard/providers';
import { type HubspotSandbox, startHubspotSandbox } from '@switchboard/sandboxes/hubspot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCrmActivities, readCrmSettings, ticketMarker } from './crm.activities.js';

const TOKEN = 'pat-na1-crm-activities-secret-7f3a9c';
const BAD_TOKEN = 'pat-na1-revoked-secret-55d1e0';
const SETTLE_MS = 1_200;

let env: ProviderTestEnv;
let sb: HubspotSandbox;
/** Everything the activities logged, as the logger received it. */
const logged: unknown[][] = [];

function recordingLogger(): Logger {
  const logger: Record<string, unknown> = {};
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
    logger[level] = (...args: unknown[]) => {
      logged.push([level, ...args]);
    };
  }
  logger.child = () => logger;
  return logger as unknown as Logger;
}

/** Activities against `sandbox`, with a short search-settle time so ambiguous retries stay fast. */
const crm =
  (sandbox: () => HubspotSandbox = () => sb, settleMs = SETTLE_MS) =>
  (ctx: ProviderWorkerContext): ProviderActivities =>
    createCrmActivities({
      ...ctx,
      env: { HUBSPOT_API_URL: sandbox().url, HUBSPOT_SEARCH_SETTLE_MS: String(settleMs) },
      log: recordingLogger(),
    });

const withCrm = <T>(fn: (run: RunOperation) => Promise<T>) => env.withWorker(crm(), fn);

beforeAll(async () => {
  [env, sb] = await Promise.all([
    startProviderTestEnv(),
    // Searches here come faster than HubSpot's 5 per second; the sandbox tests cover that limit.
    startHubspotSandbox({ tokens: [TOKEN], rateLimits: { searchPerSecond: 1000 } }),
  ]);
  await env.putCredential('hubspot_main', 'hubspot', { accessToken: TOKEN });
  await env.putCredential('hubspot_revoked', 'hubspot', { accessToken: BAD_TOKEN });
}, 120_000);
afterAll(async () => {
  await sb?.close();
  await env?.stop();
});
beforeEach(() => {
  sb.reset();
  sb.seedContact({
    firstname: 'Ada',
    lastname: 'Lovelace',
    email: 'ada@example.com',
    phone: '(555) 123-4567',
    lifecyclestage: 'customer',
  });
  sb.seedContact({ firstname: 'Grace', email: 'grace@example.com', mobilephone: '+1 555 987 6543' });
});

const LOOKUP = {
  credential: 'hubspot_main',
  properties: ['firstname', 'lastname', 'email', 'lifecyclestage', 'budget'],
};

describe('crm.lookup', () => {
  it('finds the caller by number (any stored format, phone or mobile), else by e-mail; reports misses', async () => {
    await withCrm(async (run) => {
      expect(await run('crm.lookup', { ...LOOKUP, phone: '+15551234567' })).toEqual({
        ok: true,
        result: {
          found: true,
          contact_id: '101',
          properties: {
            firstname: 'Ada',
            lastname: 'Lovelace',
            email: 'ada@example.com',
            lifecyclestage: 'customer',
            budget: null,
          },
          total: 1,
        },
      });
      const [search] = sb.requests();
      expect(search).toMatchObject({ method: 'POST', path: '/crm/v3/objects/contacts/search' });
      expect(search?.json).toEqual({
        filterGroups: [
          { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+15551234567' }] },
          { filters: [{ propertyName: 'phone', operator: 'EQ', value: '5551234567' }] },
          { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+15551234567' }] },
          { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '5551234567' }] },
        ],
        properties: ['firstname', 'lastname', 'email', 'lifecyclestage', 'budget', 'phone', 'mobilephone'],
        limit: 10,
      });

      const mobile = await run('crm.lookup', { ...LOOKUP, phone: '555-987-6543' });
      expect(mobile).toMatchObject({ ok: true, result: { found: true, contact_id: '102' } });

      sb.clearRequests();
      const byEmail = await run('crm.lookup', { ...LOOKUP, phone: '+15550000000', email: ' Grace@Example.com ' });
      expect(byEmail).toMatchObject({ ok: true, result: { found: true, contact_id: '102', total: 1 } });
      expect(sb.requests().map((r) => r.json)).toEqual([
        expect.anything(),
        {
          filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'grace@example.com' }] }],
          properties: LOOKUP.properties,
          limit: 10,
        },
      ]);

      expect(await run('crm.lookup', { ...LOOKUP, email: 'nobody@example.com' })).toEqual({
        ok: true,
        result: { found: false, contact_id: null, properties: {}, total: 0 },
      });
    });
  });

  it('fails without a phone or e-mail (crm_missing_identifier) or on bad input, without calling HubSpot', async () => {
    await withCrm(async (run) => {
      expect(await run('crm.lookup', { ...LOOKUP, phone: 'unknown' })).toMatchObject({
        ok: false,
        error: { code: 'crm_missing_identifier', retryable: false },
      });
      expect(
        await run('crm.lookup', { credential: 'hubspot_main', email: 'a@b.co', properties: ['First Name'] }),
      ).toMatchObject({ ok: false, error: { code: 'provider_invalid_input', retryable: false } });
      expect(sb.requests()).toEqual([]);
    });
  });
});

describe('crm.update', () => {
  const QUALIFICATION = { hs_lead_status: ['OPEN'], budget: ['10k'], purchase_timeline: [null], notes: ['  '] };

  it('writes only non-empty texts to the contact found by id; falls back to e-mail for a stale id', async () => {
    await withCrm(async (run) => {
      const byId = await run('crm.update', {
        credential: 'hubspot_main',
        contact: { id: '101', email: 'ada@example.com', phone: '+15551234567' },
        properties: QUALIFICATION,
      });
      expect(byId).toEqual({
        ok: true,
        result: { contact_id: '101', updated_properties: ['hs_lead_status', 'budget'] },
      });
      expect(sb.requests()).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          path: '/crm/v3/objects/contacts/101',
          json: { properties: { hs_lead_status: 'OPEN', budget: '10k' } },
        }),
      ]);

      sb.clearRequests();
      const stale = await run('crm.update', {
        credential: 'hubspot_main',
        contact: { id: '999', email: 'GRACE@example.com' },
        properties: { hs_lead_status: ['CONNECTED'] },
      });
      expect(stale).toMatchObject({ ok: true, result: { contact_id: '102' } });
      expect(sb.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'PATCH /crm/v3/objects/contacts/999 404',
        'GET /crm/v3/objects/contacts/grace%40example.com 200',
        'PATCH /crm/v3/objects/contacts/102 200',
      ]);
      expect(sb.state().contacts.find((c) => c.id === '102')?.properties.hs_lead_status).toBe('CONNECTED');
      expect(sb.state().contacts.find((c) => c.id === '101')?.properties).not.toHaveProperty('purchase_timeline');
    });
  });

  it('creates an unknown lead (upsert) once, even when the same intent and step run again', async () => {
    await withCrm(async (run) => {
      const payload = {
        credential: 'hubspot_main',
        contact: { email: 'new.lead@example.com', phone: '(555) 222-3333' },
        properties: QUALIFICATION,
      };
      const first = await run('crm.update', payload, { intentId: 'int_upsert1' });
      expect(first).toEqual({
        ok: true,
        result: { contact_id: '103', updated_properties: ['hs_lead_status', 'budget'] },
      });
      expect(sb.state().contacts.find((c) => c.id === '103')?.properties).toEqual({
        hs_lead_status: 'OPEN',
        budget: '10k',
        email: 'new.lead@example.com',
        phone: '+15552223333',
      });
      const requestsBefore = sb.requests().length;
      expect(await run('crm.update', payload, { intentId: 'int_upsert1' })).toEqual(first);
      expect(sb.requests()).toHaveLength(requestsBefore);

      expect(
        await run('crm.update', {
          credential: 'hubspot_main',
          contact: { email: 'x@example.com' },
          properties: { a: [null] },
        }),
      ).toMatchObject({ ok: false, error: { code: 'provider_not_found', retryable: false } });
      expect(
        await run('crm.update', { credential: 'hubspot_main', contact: {}, properties: QUALIFICATION }),
      ).toMatchObject({
        ok: false,
        error: { code: 'crm_missing_identifier', retryable: false },
      });
      expect(sb.state().contacts).toHaveLength(3);
    });
  });
});

describe('crm.ticket', () => {
  const TICKET = {
    credential: 'hubspot_main',
    subject: ['[Voice] ', 'Printer jams'],
    content: ['Jams on page 2.', '\n\nCaller: ', '+15551234567'],
    pipeline: '0',
    stage: '1',
    priority: 'MEDIUM',
    contact: { email: 'ada@example.com', phone: '+15551234567' },
  };

  it('creates the ticket associated with the contact, marked for idempotency', async () => {
    await withCrm(async (run) => {
      const out = await run('crm.ticket', TICKET, { intentId: 'int_ticket1', stepPointer: '/actions/0' });
      expect(out).toEqual({ ok: true, result: { ticket_id: '5001' } });
      const marker = ticketMarker(env.tenantId, 'int_ticket1:/actions/0');
      expect(marker).toMatch(/^swbref[a-z]{24}$/);
      const [ticket] = sb.state().tickets;
      expect(ticket?.properties).toEqual({
        subject: '[Voice] Printer jams',
        content: `Jams on page 2.\n\nCaller: +15551234567\n\nSwitchboard reference: ${marker}`,
        hs_pipeline: '0',
        hs_pipeline_stage: '1',
        hs_ticket_priority: 'MEDIUM',
      });
      expect(ticket?.associations).toEqual([
        { toObjectType: 'contacts', toObjectId: '101', associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 16 },
      ]);

      const { contact: _contact, priority: _priority, ...plain } = TICKET;
      expect(await run('crm.ticket', plain)).toEqual({ ok: true, result: { ticket_id: '5002' } });
      expect(sb.state().tickets[1]?.associations).toEqual([]);
    });
  });

  it('creates exactly one ticket when the answer is lost after HubSpot committed, or the step runs twice', async () => {
    await withCrm(async (run) => {
      sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: '/crm/v3/objects/tickets' });
      const dropped = await run('crm.ticket', TICKET, { intentId: 'int_dropped' });
      expect(dropped).toEqual({ ok: true, result: { ticket_id: '5001' } });
      expect(sb.state().tickets.map((t) => t.id)).toEqual(['5001']);
      const creates = sb.requests().filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/tickets');
      expect(creates).toHaveLength(1);

      const again = await run('crm.ticket', TICKET, { intentId: 'int_dropped' });
      expect(again).toEqual(dropped);
      const twice = await run('crm.ticket', TICKET, { intentId: 'int_twice' });
      expect(await run('crm.ticket', TICKET, { intentId: 'int_twice' })).toEqual(twice);
      expect(sb.state().tickets).toHaveLength(2);
    });
  });

  it('waits for a lagging search index before deciding that a lost create did not happen', async () => {
    // The index lags longer than Temporal takes to retry (generously: a loaded machine retries
    // in seconds), and less than the settle time.
    const lagging = await startHubspotSandbox({
      tokens: [TOKEN],
      searchLagMs: 8_000,
      rateLimits: { searchPerSecond: 1000 },
    });
    try {
      lagging.seedContact({ email: 'ada@example.com' });
      await env.withWorker(
        crm(() => lagging, 16_000),
        async (run) => {
          lagging.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: '/crm/v3/objects/tickets' });
          expect(await run('crm.ticket', TICKET, { intentId: 'int_lagging' })).toEqual({
            ok: true,
            result: { ticket_id: '5001' },
          });
          expect(lagging.state().tickets).toHaveLength(1);
          // The first look found nothing (the index lagged); a later one found the ticket.
          const paths = lagging.requests().map((r) => `${r.method} ${r.path}`);
          expect(paths.filter((p) => p === 'POST /crm/v3/objects/tickets')).toHaveLength(1);
          expect(paths.filter((p) => p === 'POST /crm/v3/objects/tickets/search').length).toBeGreaterThanOrEqual(2);
        },
      );
    } finally {
      await lagging.close();
    }
  });

  it('refuses an empty subject and rejected values without retrying', async () => {
    await withCrm(async (run) => {
      expect(await run('crm.ticket', { ...TICKET, subject: [null] })).toMatchObject({
        ok: false,
        error: { code: 'provider_invalid_input', retryable: false },
      });
      expect(sb.requests()).toEqual([]);
      const { contact: _contact, ...unassociated } = TICKET;
      const rejected = await run('crm.ticket', { ...unassociated, stage: '9' });
      expect(rejected).toMatchObject({ ok: false, error: { code: 'provider_rejected', retryable: false } });
      expect(rejected.ok ? '' : rejected.error.message).toContain('VALIDATION_ERROR');
      expect(sb.requests()).toHaveLength(1);
    });
  });
});

describe('crm.note', () => {
  const NOTE = {
    credential: 'hubspot_main',
    body: ['Caller ', 'Ada', ' asked for a callback'],
    contact: { email: 'ada@example.com' },
    timestamp: '2026-12-06T17:00:00Z',
  };

  it('logs the note on the contact, once per step, and refuses an empty body without calling HubSpot', async () => {
    await withCrm(async (run) => {
      const first = await run('crm.note', NOTE, { intentId: 'int_note1' });
      expect(first).toEqual({ ok: true, result: { note_id: '9001', contact_id: '101' } });
      expect(await run('crm.note', NOTE, { intentId: 'int_note1' })).toEqual(first);
      const notes = sb.state().notes ?? [];
      expect(notes).toHaveLength(1);
      expect(notes[0]?.properties.hs_note_body).toMatch(
        /^Caller Ada asked for a callback\n\nSwitchboard reference: swbref[a-z]{24}$/,
      );
      expect(notes[0]?.properties.hs_timestamp).toBe('2026-12-06T17:00:00Z');
      expect(notes[0]?.associations.map((a) => [a.toObjectId, a.associationTypeId])).toEqual([['101', 202]]);

      sb.clearRequests();
      expect(await run('crm.note', { ...NOTE, body: ['  '] })).toMatchObject({
        ok: false,
        error: { code: 'provider_invalid_input', retryable: false },
      });
      expect(await run('crm.note', { ...NOTE, timestamp: 'yesterday' })).toMatchObject({
        ok: false,
        error: { code: 'provider_invalid_input', retryable: false },
      });
      expect(sb.requests()).toEqual([]);
    });
  });

  it('creates exactly one note when the answer is lost after HubSpot committed', async () => {
    await withCrm(async (run) => {
      sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: '/crm/v3/objects/notes' });
      const { contact: _contact, ...noteWithoutContact } = NOTE;
      const res = await run('crm.note', noteWithoutContact, { intentId: 'int_note2' });
      expect(res).toEqual({ ok: true, result: { note_id: '9001', contact_id: null } });
      expect(sb.state().notes?.map((n) => n.id)).toEqual(['9001']);
    });
  });

  it('records a test call’s note with its archive', async () => {
    await withCrm(async (run) => {
      const res = await run('crm.note', NOTE, { intentId: 'int_note3', sandbox: true, conversationId: 'conv_note' });
      expect(res).toMatchObject({ ok: true });
      const effects = await listSandboxEffects(env.db, env.tenantId, 'conv_note');
      expect(effects).toEqual([
        expect.objectContaining({
          operation: 'crm.note',
          undo: { operation: 'crm.archive_note', payload: { credential: 'hubspot_main', note_id: '9001' } },
        }),
      ]);
      expect(await run('crm.archive_note', { credential: 'hubspot_main', note_id: '9001' })).toEqual({
        ok: true,
        result: { note_id: '9001', archived: true },
      });
      expect(sb.state().notes).toBeUndefined();
    });
  });
});

describe('test calls (sandbox)', () => {
  const effects = (conversationId: string) => listSandboxEffects(env.db, env.tenantId, conversationId);
  const TICKET = {
    credential: 'hubspot_main',
    subject: ['Printer jams'],
    content: ['Jams on page 2.'],
    pipeline: '0',
    stage: '1',
    contact: { email: 'ada@example.com' },
  };

  it('records a ticket once with its archive, which removes it and is harmless to repeat', async () => {
    await withCrm(async (run) => {
      const opts = { sandbox: true, conversationId: 'conv_sbticket', intentId: 'int_sbticket', stepPointer: '/s/0' };
      const made = await run('crm.ticket', TICKET, opts);
      expect(made).toEqual({ ok: true, result: { ticket_id: '5001' } });
      // The step again (a redelivered intent): the recorded result, and no second record.
      expect(await run('crm.ticket', TICKET, opts)).toEqual(made);
      const [effect, ...others] = await effects('conv_sbticket');
      expect(others).toEqual([]);
      expect(effect).toMatchObject({
        intentId: 'int_sbticket',
        stepPointer: '/s/0',
        operation: 'crm.ticket',
        provider: 'hubspot',
        providerRef: '5001',
        state: 'pending',
        undo: { operation: 'crm.archive_ticket', payload: { credential: 'hubspot_main', ticket_id: '5001' } },
      });
      expect(effect?.description).toContain('Printer jams');

      const undo = effect?.undo?.payload ?? null;
      expect(await run('crm.archive_ticket', undo)).toEqual({
        ok: true,
        result: { ticket_id: '5001', archived: true },
      });
      expect(sb.state().tickets).toEqual([]);
      expect(await run('crm.archive_ticket', undo)).toEqual({
        ok: true,
        result: { ticket_id: '5001', archived: false },
      });
      expect(
        await run('crm.archive_ticket', { credential: 'hubspot_main', ticket_id: '../contacts/101' }),
      ).toMatchObject({ ok: false, error: { code: 'provider_invalid_input', retryable: false } });
    });
  });

  it('records a created contact as archivable and an updated one with the values to restore', async () => {
    await withCrm(async (run) => {
      const conv = 'conv_sbcontacts';
      const created = await run(
        'crm.update',
        {
          credential: 'hubspot_main',
          contact: { email: 'new.lead@example.com' },
          properties: { hs_lead_status: ['NEW'] },
        },
        { sandbox: true, conversationId: conv, intentId: 'int_sbcreate' },
      );
      expect(created).toMatchObject({ ok: true, result: { contact_id: '103' } });
      const updated = await run(
        'crm.update',
        {
          credential: 'hubspot_main',
          contact: { id: '101' },
          properties: { lifecyclestage: ['lead'], budget: ['10k'] },
        },
        { sandbox: true, conversationId: conv, intentId: 'int_sbupdate' },
      );
      expect(updated).toMatchObject({ ok: true, result: { contact_id: '101' } });
      expect(sb.state().contacts.find((c) => c.id === '101')?.properties).toMatchObject({
        lifecyclestage: 'lead',
        budget: '10k',
      });
      const [create, update] = await effects(conv);
      expect(create).toMatchObject({
        operation: 'crm.update',
        providerRef: '103',
        undo: { operation: 'crm.archive_contact', payload: { credential: 'hubspot_main', contact_id: '103' } },
      });
      // The previous values, read before the PATCH: budget had none, so restoring clears it.
      expect(update).toMatchObject({
        providerRef: '101',
        undo: {
          operation: 'crm.restore_contact',
          payload: {
            credential: 'hubspot_main',
            contact_id: '101',
            properties: { lifecyclestage: 'customer', budget: '' },
          },
        },
      });

      expect(await run('crm.restore_contact', update?.undo?.payload ?? null)).toMatchObject({ ok: true });
      expect(sb.state().contacts.find((c) => c.id === '101')?.properties).toEqual({
        firstname: 'Ada',
        lastname: 'Lovelace',
        email: 'ada@example.com',
        phone: '(555) 123-4567',
        lifecyclestage: 'customer',
      });
      expect(await run('crm.archive_contact', create?.undo?.payload ?? null)).toMatchObject({
        ok: true,
        result: { archived: true },
      });
      expect(sb.state().contacts.map((c) => c.id)).toEqual(['101', '102']);
      expect(await run('crm.restore_contact', create?.undo?.payload ?? null)).toMatchObject({
        ok: false,
        error: { code: 'provider_invalid_input' },
      });
      expect(
        await run('crm.restore_contact', { credential: 'hubspot_main', contact_id: '103', properties: { a: 'x' } }),
      ).toMatchObject({ ok: false, error: { code: 'provider_not_found', retryable: false } });
    });
  });

  it('records nothing for a call that is not a test call', async () => {
    await withCrm(async (run) => {
      await run('crm.ticket', TICKET, { conversationId: 'conv_notsandbox' });
      await run(
        'crm.update',
        { credential: 'hubspot_main', contact: { id: '101' }, properties: { budget: ['1k'] } },
        { conversationId: 'conv_notsandbox' },
      );
      expect(sb.state().tickets).toHaveLength(1);
      expect(await effects('conv_notsandbox')).toEqual([]);
      // Without a test call there is no read of the previous values either.
      expect(sb.requests().filter((r) => r.method === 'GET' && r.path === '/crm/v3/objects/contacts/101')).toEqual([]);
    });
  });
});

describe('provider failures through Temporal', () => {
  it('retries 5xx until HubSpot answers, including a ticket create that failed before committing', async () => {
    await withCrm(async (run) => {
      sb.faults.add({ status: 503, count: 2, pathPrefix: '/crm/v3/objects/contacts/search' });
      expect(await run('crm.lookup', { ...LOOKUP, phone: '+15551234567' })).toMatchObject({
        ok: true,
        result: { found: true, contact_id: '101' },
      });
      expect(sb.requests().map((r) => r.status)).toEqual([503, 503, 200]);

      sb.faults.add({ status: 502, method: 'POST', pathPrefix: '/crm/v3/objects/tickets' });
      expect(await run('crm.ticket', { ...TICKET_PLAIN })).toEqual({ ok: true, result: { ticket_id: '5001' } });
      expect(sb.state().tickets).toHaveLength(1);
    });
  });

  it('honours Retry-After on 429', async () => {
    await withCrm(async (run) => {
      sb.faults.add({ status: 429, retryAfterSeconds: 1, pathPrefix: '/crm/v3/objects/contacts/search' });
      expect(await run('crm.lookup', { ...LOOKUP, email: 'ada@example.com' })).toMatchObject({ ok: true });
      const [limited, retried] = sb.requests();
      expect(limited?.status).toBe(429);
      expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
    });
  });

  it('marks a refused credential auth_failed and does not retry', async () => {
    await withCrm(async (run) => {
      const out = await run('crm.lookup', { ...LOOKUP, credential: 'hubspot_revoked', email: 'ada@example.com' });
      expect(out).toMatchObject({ ok: false, error: { code: 'provider_auth_failed', retryable: false } });
      expect(JSON.stringify(out)).not.toContain(BAD_TOKEN);
      expect(sb.requests()).toHaveLength(1);
      const credentials = await listCredentials(env.db, env.tenantId);
      expect(credentials.find((c) => c.name === 'hubspot_revoked')).toMatchObject({ status: 'auth_failed' });
      expect(credentials.find((c) => c.name === 'hubspot_main')).toMatchObject({ status: 'ok' });
    });
  });

  it('never logs the access token', () => {
    expect(logged.length).toBeGreaterThan(0);
    const text = JSON.stringify(logged, (_k, v: unknown) =>
      v instanceof Error ? { message: v.message, stack: v.stack } : v,
    );
    expect(text).toContain('hubspot ticket created');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(BAD_TOKEN);
  });
});

const TICKET_PLAIN = {
  credential: 'hubspot_main',
  subject: ['Call back'],
  content: ['Wants a call back.'],
  pipeline: '0',
  stage: '1',
};

describe('settings', () => {
  it('defaults to the real API and names every bad variable at once', () => {
    expect(readCrmSettings({})).toEqual({
      baseUrl: 'https://api.hubapi.com',
      timeoutMs: 10_000,
      searchSettleMs: 5_000,
      ticketMarkerProperty: 'content',
      defaultCountryCode: '1',
    });
    expect(() =>
      readCrmSettings({
        HUBSPOT_API_URL: 'api.hubapi.com',
        CRM_DEFAULT_COUNTRY_CODE: '+44',
        HUBSPOT_SEARCH_SETTLE_MS: '-1',
      }),
    ).toThrow(/HUBSPOT_SEARCH_SETTLE_MS.*HUBSPOT_API_URL.*CRM_DEFAULT_COUNTRY_CODE/);
    let thrown: unknown;
    try {
      readCrmSettings({ HUBSPOT_API_URL: 'api.hubapi.com', CRM_DEFAULT_COUNTRY_CODE: '+44' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'config_invalid' });
    expect((thrown as Error).message).toMatch(/HUBSPOT_API_URL.*CRM_DEFAULT_COUNTRY_CODE/);
  });
});
