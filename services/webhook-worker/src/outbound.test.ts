import { describe, expect, it } from 'vitest';
import { excerpt, literalHeaders } from './endpoints.js';
import { parsePayload, requestUrl } from './http-request.js';
import { type Hop, nextHop, OutboundError } from './outbound.js';
import { Signing, signatureHeader, signatureOf, verifySignature } from './signing.js';

const origin = 'https://api.example.com';
const hop = (over: Partial<Hop> = {}): Hop => ({
  method: 'POST',
  url: new URL('https://api.example.com/v1/things'),
  body: '{"a":1}',
  trusted: true,
  ...over,
});

describe('redirect policy', () => {
  it('ignores answers that are not redirects to follow', () => {
    expect(nextHop(hop(), 200, null, origin)).toBeUndefined();
    expect(nextHop(hop(), 304, '/x', origin)).toBeUndefined();
    expect(nextHop(hop(), 302, null, origin)).toBeUndefined();
  });

  it('keeps method and body on 307/308 and stays trusted on the same origin', () => {
    const next = nextHop(hop(), 307, '/v2/things', origin) as Hop;
    expect(next).toMatchObject({ method: 'POST', body: '{"a":1}', trusted: true });
    expect(next.url.href).toBe('https://api.example.com/v2/things');
  });

  it('turns 303, and 301/302 after POST, into a GET without body', () => {
    expect(nextHop(hop(), 303, '/done', origin)).toMatchObject({ method: 'GET', body: undefined });
    expect(nextHop(hop(), 302, '/done', origin)).toMatchObject({ method: 'GET', body: undefined });
    expect(nextHop(hop({ method: 'PUT' }), 301, '/done', origin)).toMatchObject({ method: 'PUT', body: '{"a":1}' });
  });

  it('drops trust (credentials, allow_private) once the chain leaves the configured origin, for good', () => {
    const away = nextHop(hop(), 307, 'https://other.example.com/x', origin) as Hop;
    expect(away.trusted).toBe(false);
    const back = nextHop(away, 307, 'https://api.example.com/y', origin) as Hop;
    expect(back.trusted).toBe(false);
    // Another port is another origin.
    expect((nextHop(hop(), 307, 'https://api.example.com:8443/x', origin) as Hop).trusted).toBe(false);
  });

  it('refuses downgrades and non-http locations', () => {
    expect(nextHop(hop(), 302, 'http://api.example.com/x', origin)).toBeInstanceOf(OutboundError);
    expect(nextHop(hop(), 302, 'file:///etc/passwd', origin)).toBeInstanceOf(OutboundError);
    expect(nextHop(hop(), 302, 'http://[::1', origin)).toBeInstanceOf(OutboundError);
    // http → https is an upgrade, and fine.
    const plain = hop({ url: new URL('http://api.example.com/') });
    expect(nextHop(plain, 302, 'https://api.example.com/', 'http://api.example.com')).toMatchObject({ trusted: false });
  });
});

describe('request signing', () => {
  it('signs t.body with HMAC-SHA256 and verifies what a receiver gets', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const header = signatureHeader('s3cret', '{"a":1}', now);
    expect(header).toBe(`t=${now / 1000},v1=${signatureOf('s3cret', now / 1000, '{"a":1}')}`);
    expect(verifySignature('s3cret', header, '{"a":1}', { nowMs: now + 10_000 })).toEqual({
      ok: true,
      timestamp: now / 1000,
    });
    expect(verifySignature('s3cret', header, '{"a":2}', { nowMs: now })).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verifySignature('other', header, '{"a":1}', { nowMs: now }).ok).toBe(false);
    expect(verifySignature('s3cret', header, '{"a":1}', { nowMs: now + 301_000 })).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    expect(verifySignature('s3cret', undefined, '', { nowMs: now }).ok).toBe(false);
    expect(verifySignature('s3cret', 'v1=abc', '', { nowMs: now }).ok).toBe(false);
    expect(Signing.Header).toBe('X-Switchboard-Signature');
  });
});

describe('request building', () => {
  const endpoint = { name: 'crm_api', url: 'https://api.example.com/base/?tenant=t1' };

  it('appends the encoded path to the base path and adds the query', () => {
    const url = requestUrl(endpoint, {
      path: [{ text: '/customers/' }, { value: 'a b/c?d' }, { text: '/notes' }],
      query: { q: 'x&y', n: 3, skip: null, flag: true },
    });
    expect(url.href).toBe('https://api.example.com/base/customers/a%20b%2Fc%3Fd/notes?tenant=t1&q=x%26y&n=3&flag=true');
  });

  it('refuses values that would climb out of the base path', () => {
    expect(() => requestUrl(endpoint, { path: [{ text: '/customers/' }, { value: '..' }] })).toThrow(/'\.\.' segment/);
    expect(() => requestUrl(endpoint, { path: [{ text: '/customers/' }, { value: '.' }] })).toThrow(/segment/);
  });

  it('checks the payload shape', () => {
    const base = { endpoint: 'crm_api', method: 'post', headers: {}, auth: { type: 'none' }, timeout_ms: 1000 };
    expect(parsePayload(base)).toMatchObject({ method: 'POST', auth: { type: 'none' } });
    expect(parsePayload({ ...base, auth: { type: 'api_key', credential: 'k' } }).auth).toEqual({
      type: 'api_key',
      credential: 'k',
      header: 'X-API-Key',
    });
    expect(() => parsePayload({ ...base, method: 'GET', body: { a: 1 } })).toThrow(/has no body/);
    expect(() => parsePayload({ ...base, auth: { type: 'oauth' } })).toThrow(/auth.type/);
    expect(() => parsePayload({ ...base, auth: { type: 'bearer' } })).toThrow(/auth.credential/);
    expect(() => parsePayload({ ...base, auth: { type: 'api_key', credential: 'k', header: 'Host' } })).toThrow(
      /auth.header/,
    );
    expect(() => parsePayload({ ...base, signing: { credential: '' } })).toThrow(/signing/);
  });

  it('splits literal headers, dropping managed names and keeping credentials origin-bound', () => {
    expect(
      literalHeaders(
        { Authorization: 'Bearer x', 'X-Tenant': 'a', 'x-switchboard-signing-credential': 'sig' },
        { 'x-tenant': 'b', Host: 'evil', 'Content-Length': '1' },
      ),
    ).toEqual({ plain: { 'x-tenant': 'b' }, secret: { Authorization: 'Bearer x' } });
    expect(literalHeaders({ 'X-Bad': 'a\r\nInjected: 1' })).toEqual({ invalid: 'X-Bad' });
  });

  it('redacts secrets from error excerpts', () => {
    expect(excerpt('bad token  tok_123456 \n for user', ['tok_123456'])).toBe('bad token [redacted] for user');
  });
});
