/**
 * The validator on a small hand-written description: runs without the providers' documents.
 */
import { describe, expect, it } from 'vitest';
import {
  createSpec,
  findOperation,
  type Problem,
  resolveRefs,
  type Schema,
  toJsonSchema,
  twimlProblem,
  validateRequest,
} from './openapi.js';

const document: Schema = {
  openapi: '3.0.0',
  info: { title: 'Mini', version: '1' },
  servers: [{ url: 'https://api.example.com/base' }],
  components: {
    securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
    schemas: {
      Node: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
        },
      },
      Person: {
        type: 'object',
        properties: { name: { type: 'string' }, email: { type: 'string', format: 'email', nullable: true } },
        required: ['name'],
      },
      Single: {
        type: 'object',
        properties: { start: { type: 'string' }, who: { $ref: '#/components/schemas/Person' } },
        required: ['start'],
      },
      Recurring: {
        type: 'object',
        properties: {
          start: { type: 'string' },
          who: { $ref: '#/components/schemas/Person' },
          count: { type: 'integer' },
        },
        required: ['start'],
      },
      Audited: {
        allOf: [
          { type: 'object', properties: { id: { type: 'string' } } },
          { type: 'object', properties: { by: { type: 'string' } } },
        ],
      },
    },
  },
  paths: {
    '/things/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
      get: {
        operationId: 'getThing',
        parameters: [
          {
            name: 'api-version',
            in: 'header',
            required: true,
            description: 'Must be set to 2024-01-01',
            schema: { type: 'string' },
          },
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } } },
          { name: 'limit', in: 'query', schema: { type: 'number', maximum: 100 } },
          { name: 'when', in: 'query', required: true, schema: {} },
        ],
      },
    },
    '/things/special': { get: { operationId: 'getSpecial' } },
    '/trees': {
      post: {
        operationId: 'postTree',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
        },
      },
    },
    '/bookings': {
      post: {
        operationId: 'book',
        requestBody: {
          content: {
            'application/json': {
              schema: { oneOf: [{ $ref: '#/components/schemas/Single' }, { $ref: '#/components/schemas/Recurring' }] },
            },
          },
        },
      },
    },
    '/audits': {
      post: {
        operationId: 'audit',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Audited' } } } },
      },
    },
    '/Messages.json': {
      post: {
        operationId: 'CreateMessage',
        security: [{ basicAuth: [] }],
        'x-twilio': {
          conditional: [
            ['from', 'messaging_service_sid'],
            ['body', 'media_url'],
          ],
        },
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['To'],
                properties: {
                  To: { type: 'string', format: 'phone-number' },
                  From: { type: 'string', format: 'phone-number' },
                  MessagingServiceSid: { type: 'string', pattern: '^MG[0-9a-f]{32}$' },
                  Body: { type: 'string' },
                  MediaUrl: {
                    type: 'array',
                    items: { type: 'string', format: 'uri', 'x-twilio': { ignoreFormat: true } },
                  },
                  Attempt: { type: 'integer' },
                  SmartEncoded: { type: 'boolean' },
                  Twiml: { type: 'string', format: 'twiml' },
                },
              },
            },
          },
        },
      },
    },
  },
};

const spec = createSpec(structuredClone(document), {
  quirks: { oneOfAsAnyOf: true, parameterSchemas: { getThing: { when: { type: 'string', format: 'date' } } } },
});
const json = { 'content-type': 'application/json' };
const basic = {
  authorization: `Basic ${Buffer.from('AC1:token').toString('base64')}`,
  'content-type': 'application/x-www-form-urlencoded',
};
const fields = (problems: Problem[]) => problems.map((p) => `${p.in}:${p.field ?? ''}`);

describe('references', () => {
  it('inlines $refs and cuts cycles', () => {
    const node = resolveRefs({ $ref: '#/components/schemas/Node' }, document) as Schema;
    const children = (node.properties as Schema).children as Schema;
    expect(children.items).toEqual({ 'x-cycle': '#/components/schemas/Node' });
    expect(() => resolveRefs({ $ref: '#/components/schemas/Nope' }, document)).toThrow(/unresolvable/);
  });

  it('turns OpenAPI 3.0 into JSON Schema: nullable, oneOf as anyOf, closed objects', () => {
    const person = toJsonSchema(resolveRefs({ $ref: '#/components/schemas/Person' }, document), {
      oneOfAsAnyOf: true,
      close: true,
    }) as Schema;
    expect(person.additionalProperties).toBe(false);
    expect((person.properties as Schema).email).toEqual({ type: ['string', 'null'], format: 'email' });
  });
});

describe('operation lookup', () => {
  it('matches templates with and without the server base path, most specific first', () => {
    expect(findOperation(spec, 'GET', '/things/42?x=1')).toMatchObject({ id: 'getThing', pathParams: { id: '42' } });
    expect(findOperation(spec, 'GET', '/base/things/42')).toMatchObject({ id: 'getThing' });
    expect(findOperation(spec, 'GET', '/things/special')).toMatchObject({ id: 'getSpecial' });
    expect(findOperation(spec, 'DELETE', '/things/1')).toEqual({ reason: '/things/{id} has no DELETE operation' });
    expect(validateRequest(spec, { method: 'GET', path: '/nowhere', headers: {} })).toEqual([
      { request: 'GET /nowhere', in: 'operation', message: 'no path of Mini 1 matches /nowhere' },
    ]);
  });
});

describe('parameters', () => {
  const headers = { 'API-Version': '2024-01-01' };
  it('accepts a conforming request, coercing text to the declared types', () => {
    expect(
      validateRequest(spec, { method: 'GET', path: '/things/7?tags=a,b&limit=10&when=2025-01-01', headers }),
    ).toEqual([]);
    expect(
      validateRequest(spec, {
        method: 'GET',
        path: '/things/7',
        query: { tags: ['a', 'b'], when: '2025-01-01' },
        headers,
      }),
    ).toEqual([]);
  });

  it('reports each bad parameter precisely', () => {
    const problems = validateRequest(spec, {
      method: 'GET',
      path: '/things/x7?tags=a,c&limit=500&extra=1',
      headers: { 'api-version': '2023-01-01' },
    });
    expect(problems.map((p) => `${p.in}:${p.field}: ${p.message}`)).toEqual([
      'path:id: must be integer (got "x7")',
      'header:api-version: must be "2024-01-01" (got "2023-01-01")',
      'query:tags: must be one of "a", "b" (got "c")',
      'query:limit: must be <= 100 (got 500)',
      "query:when: required query parameter 'when' is missing",
      "query:extra: query parameter 'extra' is not declared",
    ]);
    expect(problems[0]).toMatchObject({ request: 'GET /things/x7', operation: 'getThing' });
  });

  it('uses quirk schemas for parameters the description leaves empty', () => {
    const problems = validateRequest(spec, { method: 'GET', path: '/things/1?when=tomorrow', headers });
    expect(problems.map((p) => p.message)).toEqual(['must be a valid date (got "tomorrow")']);
  });
});

describe('JSON bodies', () => {
  it('validates overlapping oneOf unions as anyOf and reports the closest member', () => {
    const ok = validateRequest(spec, {
      method: 'POST',
      path: '/bookings',
      headers: json,
      body: '{"start":"x","who":{"name":"A"}}',
    });
    expect(ok).toEqual([]);
    const bad = validateRequest(spec, {
      method: 'POST',
      path: '/bookings',
      headers: json,
      body: '{"who":{"email":"nope","nick":"a"},"count":"2"}',
    });
    expect(bad.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'start: is required',
      'who.name: is required',
      'who.nick: is not declared in the published schema',
      'who.email: must be a valid email (got "nope")',
      'count: must be integer (got "2")',
    ]);
  });

  it('closes allOf compositions over all their members', () => {
    expect(
      validateRequest(spec, { method: 'POST', path: '/audits', headers: json, body: '{"id":"1","by":"me"}' }),
    ).toEqual([]);
    expect(
      fields(validateRequest(spec, { method: 'POST', path: '/audits', headers: json, body: '{"id":"1","who":"me"}' })),
    ).toEqual(['body:who']);
  });

  it('accepts recursive bodies and reports missing, unparsable or mistyped bodies', () => {
    const tree = { name: 'root', children: [{ name: 'a', children: [{ name: 'b' }] }] };
    expect(
      validateRequest(spec, { method: 'POST', path: '/trees', headers: json, body: JSON.stringify(tree) }),
    ).toEqual([]);
    expect(validateRequest(spec, { method: 'POST', path: '/trees', headers: json, body: '' })[0]?.message).toBe(
      'the request body is required',
    );
    expect(validateRequest(spec, { method: 'POST', path: '/trees', headers: json, body: '{' })[0]?.message).toBe(
      'the body is not valid JSON',
    );
    expect(
      validateRequest(spec, {
        method: 'POST',
        path: '/trees',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      })[0],
    ).toMatchObject({
      in: 'header',
      field: 'content-type',
    });
    expect(validateRequest(spec, { method: 'GET', path: '/things/special', headers: {}, body: 'x' })[0]?.message).toBe(
      'the operation takes no body, but one was sent',
    );
  });
});

describe('form bodies', () => {
  const send = (body: string, headers: Record<string, string> = basic) =>
    validateRequest(spec, { method: 'POST', path: '/Messages.json', headers, body });

  it('decodes fields, coerces them, and accepts repeated keys for arrays', () => {
    expect(send('To=%2B15551234567&From=%2B15557654321&Body=Hi+there&Attempt=2&SmartEncoded=true')).toEqual([]);
    expect(
      send('To=%2B15551234567&From=%2B15557654321&MediaUrl=https%3A%2F%2Fa.example%2F1.png&MediaUrl=not-a-url'),
    ).toEqual([]);
  });

  it('reports type errors, undeclared fields and the x-twilio conditional groups', () => {
    const problems = send('To=%2B0555&Attempt=two&SmartEncoded=yes&body=lowercase');
    expect(problems.map((p) => `${p.field ?? ''}: ${p.message}`)).toEqual([
      'body: is not declared in the published schema',
      'To: must be a valid phone-number (got "+0555")',
      'Attempt: must be integer (got "two")',
      'SmartEncoded: must be boolean (got "yes")',
      ': one of From, MessagingServiceSid is required (x-twilio.conditional)',
      ': one of Body, MediaUrl is required (x-twilio.conditional)',
    ]);
    expect(send('To=%2B15551234567&From=%2B1555&Body=a&Body=b').map((p) => p.message)).toEqual([
      'must be string (got ["a","b"])',
    ]);
  });

  it('checks the basic auth security requirement', () => {
    const problems = send('To=%2B15551234567&From=%2B15557654321&Body=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(problems).toEqual([
      expect.objectContaining({
        in: 'security',
        message: expect.stringContaining("'basicAuth' needs 'Authorization: Basic"),
      }),
    ]);
  });

  it('checks TwiML documents', () => {
    expect(
      twimlProblem('<?xml version="1.0"?><Response><Dial timeout="20"><Number>+15551234567</Number></Dial></Response>'),
    ).toBeUndefined();
    expect(twimlProblem('<Response><Say>Tom &amp; Jerry</Say><Hangup/></Response>')).toBeUndefined();
    expect(twimlProblem('<Response><Say>A & B</Say></Response>')).toMatch(/bare '&'/);
    expect(twimlProblem('<Response><Dial><Number>+1</Dial></Response>')).toMatch(/does not close/);
    expect(twimlProblem('<Dial>+1</Dial>')).toMatch(/root element must be <Response>/);
    expect(twimlProblem('<Response><Say>x</Say>')).toMatch(/is not closed/);
    expect(
      send(`To=%2B15551234567&From=%2B15557654321&Body=x&Twiml=${encodeURIComponent('<Response><Say>')}`)[0]?.message,
    ).toMatch(/must be a valid twiml: <Say> is not closed/);
  });
});
