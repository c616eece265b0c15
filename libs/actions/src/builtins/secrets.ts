/**
 * Detection of inline secrets in built-in configurations.
 *
 * Action definitions are stored in plain Postgres rows, shown in dashboards and exported to LLM
 * tool formats, so they must never hold an API key, token or password. Secrets live in the
 * tenant's credential store (encrypted at rest) and definitions reference them by name. These
 * heuristics catch the usual mistakes: a secret-named field with a literal value, and values
 * that look like well-known token formats wherever they appear.
 */

/** Normalised (lower case, no `-`/`_`) field names that always denote a secret. */
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'apikey',
  'xapikey',
  'apitoken',
  'apisecret',
  'accesstoken',
  'authtoken',
  'refreshtoken',
  'idtoken',
  'bearertoken',
  'token',
  'secret',
  'secretkey',
  'clientsecret',
  'signingsecret',
  'webhooksecret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'privatekey',
  'bearer',
  'authorization',
  'proxyauthorization',
  'cookie',
  'xauthtoken',
]);
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'passwd', 'apikey', 'privatekey', 'authorization'];

/**
 * True when a field or header name denotes a secret (`api_key`, `auth_token`, `password`,
 * `Authorization`, `X-Api-Key`, `hubspot_token`...).
 */
export function isSecretName(name: string): boolean {
  const normalised = name.toLowerCase().replace(/[-_\s]/g, '');
  return SECRET_NAMES.has(normalised) || SECRET_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

/** Well-known credential formats, with the name used in messages. */
const SECRET_VALUE_PATTERNS: readonly [RegExp, string][] = [
  [/^\s*(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}\s*$/i, 'an Authorization header value'],
  [/\bcal_(?:live_|test_)?[A-Za-z0-9]{16,}\b/, 'a Cal.com API key'],
  [/\bpat-(?:na|eu|ap)\d-[0-9a-fA-F-]{20,}\b/, 'a HubSpot private app token'],
  [/\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}\b/, 'a Stripe-style secret key'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}\b/, 'a Slack token'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/, 'a GitHub token'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$/, 'a JSON Web Token'],
];

/** Names what kind of secret `value` looks like, or `undefined` when it does not look like one. */
export function secretValueKind(value: string): string | undefined {
  if (value.length < 12 || value.length > 10_000) return undefined;
  for (const [pattern, kind] of SECRET_VALUE_PATTERNS) {
    if (pattern.test(value)) return kind;
  }
  return undefined;
}
