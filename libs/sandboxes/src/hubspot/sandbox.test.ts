import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_HUBSPOT_SANDBOX_TOKEN, type HubspotSandbox, startHubspotSandbox } from './index.js';

const TOKEN = 'pat-na1-test-token';
let sb: HubspotSandbox;

beforeAll(async () => {
  sb = await startHubspotSandbox({
    tokens: [TOKEN],
    // These tests search faster than HubSpot's 5 per second; the limit has its own test.
    rateLimits: { searchPerSecond: 1000 },
    contacts: [{ firstname: 'Ada', lastname: 'Lovelace', email: 'Ada@Example.com', phone: '+1 (555) 123-4567' }],
  });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => sb.reset());

async function api(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? {} : JSON.parse(text) };
}

const search = (type: string, body: unknown) => api('POST', `/crm/v3/objects/${type}/search`, body);
const eq = (propertyName: string, value: string) => ({ filters: [{ propertyName, operator: 'EQ', value }] });

describe('auth', () => {
  it("answers 401 in HubSpot's error shape without a valid Bearer token", async () => {
    for (const token of [null, 'wrong']) {
      const res = await api('GET', '/crm/v3/objects/contacts/101', undefined, token);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
      expect(typeof res.json.message).toBe('string');
      expect(typeof res.json.correlationId).toBe('string');
      expect(JSON.stringify(res.json)).not.toContain('wrong');
    }
  });

  it('accepts the default token when none are configured', async () => {
    const other = await startHubspotSandbox();
    try {
      const res = await fetch(`${other.url}/crm/v3/objects/contacts/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEFAULT_HUBSPOT_SANDBOX_TOKEN}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('contacts', () => {
  it('creates (201), reads by id and by email, updates, and clears with an empty string', async () => {
    const created = await api('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'Grace@Example.com', firstname: 'Grace', budget: 10000 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: '102',
      archived: false,
      properties: { email: 'grace@example.com', firstname: 'Grace', budget: '10000', hs_object_id: '102' },
    });
    const byEmail = await api('GET', '/crm/v3/objects/contacts/GRACE%40example.com?idProperty=email');
    expect(byEmail.status).toBe(200);
    expect(byEmail.json.id).toBe('102');
    const patched = await api('PATCH', '/crm/v3/objects/contacts/102', {
      properties: { firstname: '', lastname: 'Hopper' },
    });
    expect(patched.status).toBe(200);
    const read = await api('GET', '/crm/v3/objects/contacts/102?properties=firstname,lastname,budget');
    expect(read.json.properties).toMatchObject({ firstname: null, lastname: 'Hopper', budget: '10000' });
    expect(Object.keys(read.json.properties as object).sort()).toEqual([
      'budget',
      'createdate',
      'firstname',
      'hs_object_id',
      'lastmodifieddate',
      'lastname',
    ]);
    expect(sb.state().contacts.find((c) => c.id === '102')?.properties).toEqual({
      email: 'grace@example.com',
      lastname: 'Hopper',
      budget: '10000',
    });
  });

  it('409 on a duplicate e-mail (naming the existing id), 404 on unknown ids, 400 with errors[] on bad values', async () => {
    const dup = await api('POST', '/crm/v3/objects/contacts', { properties: { email: 'ada@example.com' } });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({
      status: 'error',
      category: 'CONFLICT',
      message: 'Contact already exists. Existing ID: 101',
    });
    expect((await api('GET', '/crm/v3/objects/contacts/999')).status).toBe(404);
    expect((await api('PATCH', '/crm/v3/objects/contacts/999', { properties: {} })).json).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
    });
    const bad = await api('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'not-an-email', 'Bad Name': 'x', hs_object_id: '1' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.category).toBe('VALIDATION_ERROR');
    expect((bad.json.errors as { code: string }[]).map((e) => e.code).sort()).toEqual([
      'INVALID_EMAIL',
      'PROPERTY_DOESNT_EXIST',
      'READ_ONLY_VALUE',
    ]);
    expect((await api('POST', '/crm/v3/objects/contacts', '{nope')).status).toBe(400);
    expect(sb.state().contacts).toHaveLength(1);
  });
});

describe('search', () => {
  beforeEach(() => {
    sb.seedContact({ firstname: 'Grace', email: 'grace@example.com', mobilephone: '555.987.6543' });
    sb.seedContact({ firstname: 'Alan', email: 'alan@example.org', phone: '+44 20 7946 0018' });
  });

  it('matches phone numbers whatever their formatting, but never a national number against an international one', async () => {
    const e164 = await search('contacts', { filterGroups: [eq('phone', '+15551234567')] });
    expect(e164.json).toMatchObject({ total: 1, results: [{ id: '101' }] });
    const formatted = await search('contacts', { filterGroups: [eq('phone', '001 555 123 4567')] });
    expect(formatted.json.total).toBe(1);
    const national = await search('contacts', { filterGroups: [eq('phone', '5551234567')] });
    expect(national.json.total).toBe(0);
    const mobile = await search('contacts', { filterGroups: [eq('mobilephone', '(555) 987-6543')] });
    expect(mobile.json).toMatchObject({ total: 1, results: [{ id: '102' }] });
  });

  it('ORs groups, ANDs filters, selects properties, pages with after, and understands CONTAINS_TOKEN', async () => {
    const body = {
      filterGroups: [eq('email', 'ADA@example.com'), eq('phone', '+442079460018')],
      properties: ['firstname', 'phone'],
      limit: 1,
    };
    const first = await search('contacts', body);
    expect(first.json).toMatchObject({ total: 2, paging: { next: { after: '1' } } });
    const results = first.json.results as { id: string; properties: Record<string, unknown> }[];
    expect(results.map((r) => r.id)).toEqual(['101']);
    expect(Object.keys(results[0]?.properties ?? {}).sort()).toEqual([
      'createdate',
      'firstname',
      'hs_object_id',
      'lastmodifieddate',
      'phone',
    ]);
    const second = await search('contacts', { ...body, after: '1' });
    expect(second.json).toMatchObject({ total: 2, results: [{ id: '103' }] });
    expect(second.json.paging).toBeUndefined();
    const and = await search('contacts', {
      filterGroups: [{ filters: [eq('email', 'ada@example.com').filters[0], eq('firstname', 'Grace').filters[0]] }],
    });
    expect(and.json.total).toBe(0);
    const token = await search('contacts', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: 'example.org' }] }],
    });
    expect(token.json).toMatchObject({ total: 1, results: [{ id: '103' }] });
    const wildcard = await search('contacts', {
      filterGroups: [{ filters: [{ propertyName: 'firstname', operator: 'CONTAINS_TOKEN', value: 'gr*' }] }],
    });
    expect(wildcard.json.total).toBe(1);
    const has = await search('contacts', {
      filterGroups: [{ filters: [{ propertyName: 'mobilephone', operator: 'HAS_PROPERTY' }] }],
    });
    expect(has.json.total).toBe(1);
  });

  it('rejects searches HubSpot rejects', async () => {
    const seven = Array.from({ length: 7 }, () => eq('email', 'x@example.com'));
    expect((await search('contacts', { filterGroups: seven })).status).toBe(400);
    expect(
      (await search('contacts', { filterGroups: [eq('email', 'x').filters.map((f) => ({ ...f, operator: 'LIKE' }))] }))
        .status,
    ).toBe(400);
    const res = await search('contacts', { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ' }] }] });
    expect(res.json).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });

  it('lags writes by searchLagMs, while reads see them at once', async () => {
    // Long enough that the first search surely comes before it, on any machine.
    const lagging = await startHubspotSandbox({ tokens: [TOKEN], searchLagMs: 3_000, rateLimits: false });
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const created = await fetch(`${lagging.url}/crm/v3/objects/contacts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ properties: { email: 'new@example.com' } }),
      });
      const { id } = (await created.json()) as { id: string };
      const find = async () => {
        const res = await fetch(`${lagging.url}/crm/v3/objects/contacts/search`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ filterGroups: [eq('email', 'new@example.com')] }),
        });
        return ((await res.json()) as { total: number }).total;
      };
      expect(await find()).toBe(0);
      expect((await fetch(`${lagging.url}/crm/v3/objects/contacts/${id}`, { headers })).status).toBe(200);
      // Then search finds it, once the lag has passed.
      const end = Date.now() + 30_000;
      while ((await find()) !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(await find()).toBe(1);
    } finally {
      await lagging.close();
    }
  });
});

describe('notes', () => {
  const toContact = (id: string, typeId = 202) => [
    { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] },
  ];
  const note = { hs_note_body: 'Called about the invoice', hs_timestamp: '2026-12-06T17:00:00Z' };

  it('creates a note associated with a contact (type 202), finds it by a body token and archives it', async () => {
    const res = await api('POST', '/crm/v3/objects/notes', { properties: note, associations: toContact('101') });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ id: '9001', properties: { hs_note_body: 'Called about the invoice' } });
    expect(sb.state().notes).toEqual([
      expect.objectContaining({
        id: '9001',
        associations: [
          {
            toObjectType: 'contacts',
            toObjectId: '101',
            associationCategory: 'HUBSPOT_DEFINED',
            associationTypeId: 202,
          },
        ],
      }),
    ]);
    const found = await search('notes', {
      filterGroups: [{ filters: [{ propertyName: 'hs_note_body', operator: 'CONTAINS_TOKEN', value: 'invoice' }] }],
    });
    expect(found.json).toMatchObject({ total: 1, results: [{ id: '9001' }] });
    expect((await api('DELETE', '/crm/v3/objects/notes/9001')).status).toBe(204);
    expect((await api('GET', '/crm/v3/objects/notes/9001')).status).toBe(404);
    expect(sb.state().notes).toBeUndefined();
  });

  it('requires hs_timestamp and refuses the ticket association type or an unknown contact', async () => {
    const missing = await api('POST', '/crm/v3/objects/notes', { properties: { hs_note_body: 'x' } });
    expect(missing.status).toBe(400);
    expect((missing.json.errors as { code: string }[]).map((e) => e.code)).toEqual(['REQUIRED_PROPERTY']);
    expect(
      (await api('POST', '/crm/v3/objects/notes', { properties: note, associations: toContact('101', 16) })).status,
    ).toBe(400);
    expect(
      (await api('POST', '/crm/v3/objects/notes', { properties: note, associations: toContact('999') })).status,
    ).toBe(400);
    expect(sb.state().notes).toBeUndefined();
  });
});

describe('tickets', () => {
  const ticket = {
    subject: 'Printer jams',
    content: 'Jams on page 2',
    hs_pipeline: '0',
    hs_pipeline_stage: '1',
    hs_ticket_priority: 'MEDIUM',
  };
  const assoc = (id: string, typeId = 16) => [
    { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] },
  ];

  it('creates a ticket associated with a contact (type 16) and finds it by a content token', async () => {
    const res = await api('POST', '/crm/v3/objects/tickets', { properties: ticket, associations: assoc('101') });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ id: '5001', properties: { subject: 'Printer jams', hs_pipeline_stage: '1' } });
    expect(sb.state().tickets).toEqual([
      expect.objectContaining({
        id: '5001',
        associations: [
          {
            toObjectType: 'contacts',
            toObjectId: '101',
            associationCategory: 'HUBSPOT_DEFINED',
            associationTypeId: 16,
          },
        ],
      }),
    ]);
    const found = await search('tickets', {
      filterGroups: [{ filters: [{ propertyName: 'content', operator: 'CONTAINS_TOKEN', value: 'jams' }] }],
      properties: ['subject'],
    });
    expect(found.json).toMatchObject({ total: 1, results: [{ id: '5001', properties: { subject: 'Printer jams' } }] });
  });

  it('rejects unknown contacts, wrong association types, missing subjects and unknown stages', async () => {
    expect(
      (await api('POST', '/crm/v3/objects/tickets', { properties: ticket, associations: assoc('999') })).status,
    ).toBe(400);
    expect(
      (await api('POST', '/crm/v3/objects/tickets', { properties: ticket, associations: assoc('101', 15) })).status,
    ).toBe(400);
    const missing = await api('POST', '/crm/v3/objects/tickets', {
      properties: { ...ticket, subject: '', hs_pipeline_stage: '9', hs_ticket_priority: 'SOON' },
    });
    expect(missing.status).toBe(400);
    expect((missing.json.errors as { code: string }[]).map((e) => e.code).sort()).toEqual([
      'INVALID_OPTION',
      'INVALID_OPTION',
      'REQUIRED_PROPERTY',
    ]);
    expect(sb.state().tickets).toEqual([]);
  });

  it('archives tickets and contacts (204, gone from state, reads and search), 404 for unknown ids', async () => {
    const created = await api('POST', '/crm/v3/objects/tickets', { properties: ticket, associations: assoc('101') });
    const other = await api('POST', '/crm/v3/objects/tickets', { properties: ticket, associations: assoc('101') });
    const res = await fetch(`${sb.url}/crm/v3/objects/tickets/${created.json.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(sb.state().tickets.map((t) => t.id)).toEqual([other.json.id]);
    expect((await api('GET', `/crm/v3/objects/tickets/${created.json.id}`)).status).toBe(404);
    const found = await search('tickets', { filterGroups: [eq('hs_pipeline', '0')] });
    expect(found.json).toMatchObject({ total: 1, results: [{ id: other.json.id }] });
    expect((await api('DELETE', `/crm/v3/objects/tickets/${created.json.id}`)).status).toBe(404);
    expect((await api('DELETE', '/crm/v3/objects/tickets/999', undefined, 'wrong')).status).toBe(401);

    expect((await api('DELETE', '/crm/v3/objects/contacts/101')).status).toBe(204);
    expect(sb.state().contacts).toEqual([]);
    expect(sb.state().tickets[0]?.associations).toEqual([]);
    expect(
      sb
        .requests()
        .filter((r) => r.method === 'DELETE')
        .map((r) => r.status),
    ).toEqual([204, 404, 401, 204]);
  });
});

describe('rate limits', () => {
  it('sends HubSpot rate-limit headers and answers 429 with Retry-After past the limit', async () => {
    const limited = await startHubspotSandbox({
      tokens: [TOKEN],
      rateLimits: { perTenSeconds: 3, searchPerSecond: 2 },
    });
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const get = () => fetch(`${limited.url}/crm/v3/objects/contacts/1`, { headers });
      const first = await get();
      expect(first.headers.get('x-hubspot-ratelimit-max')).toBe('3');
      expect(first.headers.get('x-hubspot-ratelimit-remaining')).toBe('2');
      expect(first.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      await get();
      await get();
      const over = await get();
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await over.json()).toMatchObject({
        status: 'error',
        category: 'RATE_LIMITS',
        policyName: 'TEN_SECONDLY_ROLLING',
      });
      const find = () =>
        fetch(`${limited.url}/crm/v3/objects/contacts/search`, { method: 'POST', headers, body: '{}' });
      expect((await find()).status).toBe(200);
      expect((await find()).status).toBe(200);
      const searchOver = await find();
      expect(searchOver.status).toBe(429);
      expect(searchOver.headers.get('retry-after')).toBe('1');
    } finally {
      await limited.close();
    }
  });
});

describe('inspection and faults', () => {
  it('records requests with method, path, query, headers, raw body and JSON', async () => {
    await api('GET', '/crm/v3/objects/contacts/101?properties=email');
    await search('contacts', { filterGroups: [eq('email', 'ada@example.com')] });
    const [get, post] = sb.requests();
    expect(get).toMatchObject({
      method: 'GET',
      path: '/crm/v3/objects/contacts/101',
      query: { properties: 'email' },
      status: 200,
    });
    expect(get?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post?.json).toEqual({ filterGroups: [eq('email', 'ada@example.com')] });
    expect(post?.body).toBe(JSON.stringify({ filterGroups: [eq('email', 'ada@example.com')] }));
  });

  it('answers injected statuses without handling, and commits before dropping the connection', async () => {
    sb.faults.add({ status: 503, method: 'POST', pathPrefix: '/crm/v3/objects/tickets' });
    sb.faults.add({ status: 429, retryAfterSeconds: 2 });
    const body = { properties: { subject: 'S', hs_pipeline_stage: '1' } };
    const unavailable = await api('POST', '/crm/v3/objects/tickets', body);
    expect(unavailable.status).toBe(503);
    expect(unavailable.json).toMatchObject({ status: 'error', category: 'INTERNAL_ERROR' });
    const limited = await api('GET', '/crm/v3/objects/contacts/101');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(sb.state().tickets).toHaveLength(0);
    sb.faults.add({ dropAfterCommit: true, pathPrefix: '/crm/v3/objects/tickets' });
    await expect(api('POST', '/crm/v3/objects/tickets', body)).rejects.toThrow();
    expect(sb.state().tickets).toHaveLength(1);
    expect(sb.requests().at(-1)?.status).toBeUndefined();
  });

  it('offers state, requests, faults, seeding and reset over HTTP under /_sandbox', async () => {
    const seeded = await fetch(`${sb.url}/_sandbox/contacts`, {
      method: 'POST',
      body: JSON.stringify([{ properties: { email: 'seed@example.com', phone: '+15550001111' } }]),
    });
    expect(seeded.status).toBe(201);
    expect(await seeded.json()).toMatchObject([{ id: '102' }]);
    const fault = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ status: 500 }) });
    expect(fault.status).toBe(204);
    expect((await api('GET', '/crm/v3/objects/contacts/102')).status).toBe(500);
    expect((await api('GET', '/crm/v3/objects/contacts/102')).status).toBe(200);
    const state = (await (await fetch(`${sb.url}/_sandbox/state`)).json()) as { contacts: unknown[] };
    expect(state.contacts).toHaveLength(2);
    const requests = (await (await fetch(`${sb.url}/_sandbox/requests`)).json()) as { status: number }[];
    expect(requests.map((r) => r.status)).toEqual([500, 200]);
    expect((await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST' })).status).toBe(204);
    expect(sb.state().contacts.map((c) => c.id)).toEqual(['101']);
    expect(sb.requests()).toEqual([]);
  });
});
