import { describe, expect, it } from 'vitest';
import { isOAuth2Credential, parseOAuth2Credential } from './oauth2.js';

const base = { token_url: 'https://auth.example.com/oauth/token', client_id: 'cid', client_secret: 's3cr3t-value' };

describe('OAuth2 client-credentials credentials', () => {
  it('reads the minimal shape with client_secret_basic by default', () => {
    expect(parseOAuth2Credential(base)).toEqual({
      ok: true,
      value: {
        tokenUrl: base.token_url,
        clientId: 'cid',
        clientSecret: 's3cr3t-value',
        clientAuth: 'client_secret_basic',
      },
    });
  });

  it('normalises scopes, keeps the audience and the client authentication method', () => {
    const parsed = parseOAuth2Credential({
      ...base,
      scope: ' accounts.read, orders.write  profile ',
      audience: 'https://api.example.com',
      client_auth: 'client_secret_post',
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        scope: 'accounts.read orders.write profile',
        audience: 'https://api.example.com',
        clientAuth: 'client_secret_post',
      },
    });
  });

  it('lists every problem with its pointer and never echoes a value', () => {
    const parsed = parseOAuth2Credential({
      token_url: 'ftp://user:pw@auth.example.com/token',
      client_secret: 'top\nsecret',
      scope: 'a "b"',
      client_auth: 'private_key_jwt',
      grant: 'password',
    });
    expect(parsed.ok).toBe(false);
    const issues = parsed.ok ? [] : parsed.issues;
    expect(issues.map((i) => i.pointer)).toEqual([
      '/secret/token_url',
      '/secret/client_id',
      '/secret/client_secret',
      '/secret/scope',
      '/secret/client_auth',
      '/secret/grant',
    ]);
    expect(JSON.stringify(issues)).not.toContain('top');
    expect(parseOAuth2Credential({ ...base, token_url: 'https://u:p@auth.example.com/t' })).toMatchObject({
      ok: false,
      issues: [{ pointer: '/secret/token_url', message: expect.stringContaining('must not carry credentials') }],
    });
    expect(parseOAuth2Credential({ ...base, token_url: 'https://auth.example.com/t#x' })).toMatchObject({ ok: false });
  });

  it('tells OAuth2 credentials from other http credentials', () => {
    expect(isOAuth2Credential(base)).toBe(true);
    expect(isOAuth2Credential({ client_id: 'x' })).toBe(true);
    expect(isOAuth2Credential({ token: 'abc' })).toBe(false);
    expect(isOAuth2Credential({ username: 'u', password: 'p' })).toBe(false);
  });
});
