/**
 * The OAuth2 client-credentials grant (RFC 6749 §4.4) as a custom API's authentication: what an
 * `http` credential holds for it, checked in one place for the API that stores it and the worker
 * that uses it.
 *
 * Credential (`PUT /v1/credentials/:name {"provider": "http", "secret": {…}}`):
 * - `token_url`: where tokens come from (`https:`, or `http:` for an on-premise server; no user
 *   info, no fragment). Subject at call time to the address policy of the endpoint being called.
 * - `client_id`, `client_secret`.
 * - `scope`: optional, space- (or comma-) separated scope tokens.
 * - `audience`: optional, sent as `audience` (Auth0, Okta and others require it).
 * - `client_auth`: how the client authenticates: `client_secret_basic` (default; HTTP Basic with
 *   the form-encoded id and secret) or `client_secret_post` (both in the form body).
 */
import type { ValidationIssue } from '@switchboard/common';

/** The secret fields of an OAuth2 client-credentials credential. */
export const OAuth2CredentialFields = {
  TokenUrl: 'token_url',
  ClientId: 'client_id',
  ClientSecret: 'client_secret',
  Scope: 'scope',
  Audience: 'audience',
  ClientAuth: 'client_auth',
} as const;

/** How the client authenticates to the token endpoint (RFC 6749 §2.3.1). */
export const OAuth2ClientAuthMethods = {
  Basic: 'client_secret_basic',
  Post: 'client_secret_post',
} as const;
/** One of {@link OAuth2ClientAuthMethods}. */
export type OAuth2ClientAuthMethod = (typeof OAuth2ClientAuthMethods)[keyof typeof OAuth2ClientAuthMethods];

/** An OAuth2 client-credentials credential, checked. */
export interface OAuth2ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scope tokens; absent when none are asked for. */
  scope?: string;
  audience?: string;
  clientAuth: OAuth2ClientAuthMethod;
}

const FIELDS: readonly string[] = Object.values(OAuth2CredentialFields);

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** True when an `http` credential's secret is meant for OAuth2 (it holds any of its fields). */
export function isOAuth2Credential(secret: Readonly<Record<string, unknown>>): boolean {
  return [OAuth2CredentialFields.TokenUrl, OAuth2CredentialFields.ClientId, OAuth2CredentialFields.ClientAuth].some(
    (field) => Object.hasOwn(secret, field),
  );
}

/**
 * Reads a credential's secret as OAuth2 client credentials, or every problem with its JSON
 * pointer (`/secret/<field>`). Values are never echoed in the problems.
 */
export function parseOAuth2Credential(
  secret: Readonly<Record<string, unknown>>,
): { ok: true; value: OAuth2ClientCredentials } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const at = (field: string) => `/secret/${field}`;
  const text = (field: string): string | undefined => {
    const value = secret[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '' || /[\r\n\0]/.test(value)) {
      issues.push({ pointer: at(field), message: 'must be a non-empty string on one line' });
      return undefined;
    }
    return value.trim();
  };
  const required = (field: string, what: string): string | undefined => {
    if (secret[field] === undefined) issues.push({ pointer: at(field), message: `required: ${what}` });
    return text(field);
  };

  const tokenUrl = required(OAuth2CredentialFields.TokenUrl, 'the token endpoint URL');
  if (tokenUrl !== undefined) {
    const problem = tokenUrlProblem(tokenUrl);
    if (problem) issues.push({ pointer: at(OAuth2CredentialFields.TokenUrl), message: problem });
  }
  const clientId = required(OAuth2CredentialFields.ClientId, 'the OAuth2 client id');
  const clientSecret = required(OAuth2CredentialFields.ClientSecret, 'the OAuth2 client secret');
  const rawScope = text(OAuth2CredentialFields.Scope);
  const scopes = rawScope?.split(/[\s,]+/).filter((s) => s !== '') ?? [];
  if (scopes.some((s) => !SCOPE_TOKEN.test(s))) {
    issues.push({
      pointer: at(OAuth2CredentialFields.Scope),
      message: 'scope tokens are separated by spaces (or commas) and hold no quotes or backslashes',
    });
  }
  const audience = text(OAuth2CredentialFields.Audience);
  const clientAuth = text(OAuth2CredentialFields.ClientAuth) ?? OAuth2ClientAuthMethods.Basic;
  const methods: readonly string[] = Object.values(OAuth2ClientAuthMethods);
  if (!methods.includes(clientAuth)) {
    issues.push({
      pointer: at(OAuth2CredentialFields.ClientAuth),
      message: `must be ${methods.join(' or ')}`,
      expected: methods.join(', '),
    });
  }
  for (const field of Object.keys(secret)) {
    if (!FIELDS.includes(field)) {
      issues.push({
        pointer: at(field),
        message: `an OAuth2 credential has no field '${field}'`,
        expected: FIELDS.join(', '),
      });
    }
  }
  if (issues.length > 0 || tokenUrl === undefined || clientId === undefined || clientSecret === undefined) {
    return { ok: false, issues };
  }
  return {
    ok: true,
    value: {
      tokenUrl,
      clientId,
      clientSecret,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      ...(audience !== undefined ? { audience } : {}),
      clientAuth: clientAuth as OAuth2ClientAuthMethod,
    },
  };
}

function tokenUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https (or http) URL';
  if (url.username !== '' || url.password !== '')
    return 'must not carry credentials (client_id and client_secret hold them)';
  if (url.hash !== '') return 'must not have a fragment';
  return undefined;
}
