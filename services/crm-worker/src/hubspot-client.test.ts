import { createProviderHttp, ProviderError } from '@switchboard/providers';
import { type HubspotSandbox, startHubspotSandbox } from '@switchboard/sandboxes/hubspot';
import { trace } from '@switchboard/telemetry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHubspotClient, type HubspotClient } from './hubspot-client.js';

const TOKEN = 'pat-na1-client-test-token';
let sb: HubspotSandbox;
let client: HubspotClient;
const http = createProviderHttp({ tracer: trace.getTracer('crm-client-test') });

beforeAll(async () => {
  sb = await startHubspotSandbox({ tokens: [TOKEN], rateLimits: false });
  // Generous: an ordinary answer must never time out, however loaded the machine.
  client = createHubspotClient({ http, baseUrl: `${sb.url}/`, accessToken: TOKEN, timeoutMs: 10_000 });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => {
  sb.reset();
  sb.seedContact({ firstname: 'Ada', email: 'ada@example.com', phone: '+15551234567' });
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('requests', () => {
  it('searches contacts with the body given, Bearer auth and JSON headers', async () => {
    const request = {
      filterGroups: [{ filters: [{ propertyName: 'phone', operator: 'EQ' as const, value: '+15551234567' }] }],
      properties: ['firstname', 'email'],
      limit: 10,
    };
    const page = await client.searchContacts(request);
    expect(page).toMatchObject({ total: 1, results: [{ id: '101', properties: { firstname: 'Ada' } }] });
    const [sent] = sb.requests();
    expect(sent).toMatchObject({ method: 'POST', path: '/crm/v3/objects/contacts/search', json: request });
    expect(sent?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers.accept).toBe('application/json');
  });

  it('reads contacts by id or e-mail with a property list, null when absent', async () => {
    expect(await client.getContact('101', { properties: ['email', 'phone'] })).toMatchObject({
      id: '101',
      properties: { email: 'ada@example.com', phone: '+15551234567' },
    });
    expect(await client.getContact('ada@example.com', { idProperty: 'email' })).toMatchObject({ id: '101' });
    expect(await client.getContact('999')).toBeNull();
    const [byId, byEmail] = sb.requests();
    expect(byId).toMatchObject({ path: '/crm/v3/objects/contacts/101', query: { properties: 'email,phone' } });
    expect(byEmail).toMatchObject({
      path: '/crm/v3/objects/contacts/ada%40example.com',
      query: { idProperty: 'email' },
    });
  });

  it('creates and updates contacts with { properties }', async () => {
    const created = await client.createContact({ email: 'grace@example.com', firstname: 'Grace' });
    expect(created.id).toBe('102');
    await client.updateContact(created.id, { lastname: 'Hopper' });
    const [post, patch] = sb.requests();
    expect(post).toMatchObject({
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      json: { properties: { email: 'grace@example.com', firstname: 'Grace' } },
    });
    expect(patch).toMatchObject({
      method: 'PATCH',
      path: '/crm/v3/objects/contacts/102',
      json: { properties: { lastname: 'Hopper' } },
    });
    expect(sb.state().contacts[1]?.properties).toEqual({
      email: 'grace@example.com',
      firstname: 'Grace',
      lastname: 'Hopper',
    });
  });

  it('creates tickets associated with a contact (HUBSPOT_DEFINED 16), or with no associations', async () => {
    const properties = { subject: 'S', content: 'C', hs_pipeline: '0', hs_pipeline_stage: '1' };
    const ticket = await client.createTicket(properties, { contactId: '101' });
    await client.createTicket(properties);
    const [withContact, without] = sb.requests();
    expect(withContact).toMatchObject({ method: 'POST', path: '/crm/v3/objects/tickets' });
    expect(withContact?.json).toEqual({
      properties,
      associations: [{ to: { id: '101' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 16 }] }],
    });
    expect(without?.json).toEqual({ properties });
    expect(sb.state().tickets.find((t) => t.id === ticket.id)?.associations).toMatchObject([{ toObjectId: '101' }]);
    const found = await client.searchTickets({
      filterGroups: [{ filters: [{ propertyName: 'subject', operator: 'EQ', value: 'S' }] }],
    });
    expect(found.total).toBe(2);
    expect(sb.requests().at(-1)?.path).toBe('/crm/v3/objects/tickets/search');
  });

  it('archives tickets and contacts with DELETE (no body), false when already gone', async () => {
    const ticket = await client.createTicket({ subject: 'S', hs_pipeline: '0', hs_pipeline_stage: '1' });
    sb.clearRequests();
    expect(await client.archiveTicket(ticket.id)).toBe(true);
    expect(await client.archiveTicket(ticket.id)).toBe(false);
    expect(await client.archiveContact('101')).toBe(true);
    expect(sb.state()).toEqual({ contacts: [], tickets: [] });
    expect(sb.requests().map((r) => `${r.method} ${r.path} ${r.status} ${r.body}`)).toEqual([
      `DELETE /crm/v3/objects/tickets/${ticket.id} 204 `,
      `DELETE /crm/v3/objects/tickets/${ticket.id} 404 `,
      'DELETE /crm/v3/objects/contacts/101 204 ',
    ]);
    expect(sb.requests()[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    sb.faults.add({ status: 503 });
    expect(await failure(client.archiveContact('102'))).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
  });
});

describe('errors', () => {
  it("classifies answers by status and keeps HubSpot's message and category, never the token", async () => {
    const bad = createHubspotClient({ http, baseUrl: sb.url, accessToken: 'pat-wrong-secret' });
    const auth = await failure(bad.getContact('101'));
    expect(auth).toMatchObject({ code: 'provider_auth_failed', retryable: false, httpStatus: 401 });
    expect(auth.message).toContain('INVALID_AUTHENTICATION');
    expect(auth.message).not.toContain('pat-wrong-secret');

    const conflict = await failure(client.createContact({ email: 'ada@example.com' }));
    expect(conflict).toMatchObject({ code: 'provider_conflict', retryable: false });
    expect(conflict.message).toContain('Contact already exists. Existing ID: 101');

    const rejected = await failure(client.createContact({ email: 'nope' }));
    expect(rejected).toMatchObject({ code: 'provider_rejected', retryable: false, httpStatus: 400 });
    expect(rejected.message).toContain('VALIDATION_ERROR');

    expect(await failure(client.updateContact('999', { firstname: 'x' }))).toMatchObject({
      code: 'provider_not_found',
    });

    sb.faults.add({ status: 429, retryAfterSeconds: 2 });
    expect(await failure(client.getContact('101'))).toMatchObject({
      code: 'provider_rate_limited',
      retryable: true,
      retryAfterMs: 2000,
    });
    sb.faults.add({ status: 503 });
    expect(await failure(client.getContact('101'))).toMatchObject({ code: 'provider_unavailable', retryable: true });
    for (const e of [auth, conflict, rejected]) expect(JSON.stringify(e)).not.toContain(TOKEN);
  });

  it('turns a dropped connection and a slow answer into retryable failures', async () => {
    sb.faults.add({ dropAfterCommit: true });
    expect(await failure(client.createContact({ email: 'grace@example.com' }))).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    expect(sb.state().contacts).toHaveLength(2);
    const impatient = createHubspotClient({ http, baseUrl: sb.url, accessToken: TOKEN, timeoutMs: 100 });
    sb.faults.add({ delayMs: 400 });
    expect(await failure(impatient.getContact('101'))).toMatchObject({ code: 'provider_timeout', retryable: true });
  });
});
