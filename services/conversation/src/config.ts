import { isIP } from 'node:net';
import { ConfigError, EnvReader, parsePlatformKeyHashes } from '@switchboard/common';
import { DEFAULT_RATE_LIMITS } from './access.js';
import type { TrustProxy } from './app.js';
import { DEFAULT_AUTH_LIMITS } from './authenticator.js';
import { DEFAULT_RUN_DEADLINE } from './run-plan.js';

/** Conversation service configuration, read once at start. */
export interface ConversationConfig {
  host: string;
  port: number;
  natsUrl: string;
  databaseUrl: string;
  /** How long a tool call waits for its result before answering 202 with the run to poll. */
  toolCallTimeoutMs: number;
  /**
   * Added to every run's own budget to set its deadline, ms (`RUN_DEADLINE_GRACE_MS`, default
   * 60000); a run unfinished after its deadline is stuck.
   */
  runDeadlineGraceMs: number;
  /**
   * The executor's confirmation wait, ms (`CONFIRMATION_TIMEOUT_MS`: give it the orchestrator's
   * value); part of the deadline of runs that ask for confirmation.
   */
  confirmationTimeoutMs: number;
  /** Largest request body, in bytes. */
  bodyLimitBytes: number;
  logLevel: string;
  /** Keyring for credentials written through the API (`CREDENTIALS_KEYS`); optional. */
  credentialsKeys: string | undefined;
  /**
   * Public scheme + host (+ path prefix) Twilio calls inbound webhooks on, e.g.
   * `https://switchboard.example.com` (`PUBLIC_BASE_URL`); signatures are computed over it.
   * Default: `http://<Host header>` of each request.
   */
  publicBaseUrl: string | undefined;
  /** `/v1` requests per minute per API key (`RATE_LIMIT_PER_KEY_PER_MIN`); 0 turns it off. */
  rateLimitPerKeyPerMin: number;
  /** `/v1` requests per minute per tenant, all keys together (`RATE_LIMIT_PER_TENANT_PER_MIN`); 0 turns it off. */
  rateLimitPerTenantPerMin: number;
  /**
   * How often rate-limit counts are shared with the other replicas through Postgres, ms
   * (`RATE_LIMIT_SYNC_MS`, default 1000); 0 counts per process.
   */
  rateLimitSyncMs: number;
  /**
   * Failed authentications (missing, unknown, revoked or wrong keys) per minute per client
   * address (`RATE_LIMIT_AUTH_FAILURES_PER_MIN`, default 30); an address over it gets 429 for
   * every request until its window ends. 0 turns it off.
   */
  rateLimitAuthFailuresPerMin: number;
  /** How long a refused key is refused without a database lookup, ms (`AUTH_NEGATIVE_CACHE_MS`, default 5000); 0 turns it off. */
  authNegativeCacheMs: number;
  /**
   * Which proxies' `X-Forwarded-For` gives the client address (`TRUST_PROXY`): `true` (any), or
   * a comma-separated list of addresses, CIDRs and `loopback` / `linklocal` / `uniquelocal`.
   * Default `false`: the socket's peer.
   */
  trustProxy: TrustProxy;
  /**
   * Hex SHA-256 of each platform-admin key (`PLATFORM_KEY_HASHES`, comma-separated; make one
   * with `switchboard platform-key`). Empty: no platform key, the platform routes answer 401.
   */
  platformKeyHashes: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConversationConfig {
  const r = new EnvReader(env);
  const config: ConversationConfig = {
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 8080, 0, 65535),
    natsUrl: r.string('NATS_URL'),
    databaseUrl: r.string('DATABASE_URL'),
    toolCallTimeoutMs: r.int('TOOL_CALL_TIMEOUT_MS', 30_000, 100, 600_000),
    runDeadlineGraceMs: r.int('RUN_DEADLINE_GRACE_MS', DEFAULT_RUN_DEADLINE.graceMs, 0, 86_400_000),
    // The orchestrator's variable and bounds: both services must read the same value.
    confirmationTimeoutMs: r.int(
      'CONFIRMATION_TIMEOUT_MS',
      DEFAULT_RUN_DEADLINE.confirmationTimeoutMs,
      1_000,
      86_400_000,
    ),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 50 * 1_048_576),
    logLevel: r.string('LOG_LEVEL', 'info'),
    credentialsKeys: r.optional('CREDENTIALS_KEYS'),
    publicBaseUrl: r.optional('PUBLIC_BASE_URL'),
    rateLimitPerKeyPerMin: r.int('RATE_LIMIT_PER_KEY_PER_MIN', DEFAULT_RATE_LIMITS.perKeyPerMin, 0, 1_000_000),
    rateLimitPerTenantPerMin: r.int('RATE_LIMIT_PER_TENANT_PER_MIN', DEFAULT_RATE_LIMITS.perTenantPerMin, 0, 1_000_000),
    rateLimitSyncMs: r.int('RATE_LIMIT_SYNC_MS', 1000, 0, 60_000),
    rateLimitAuthFailuresPerMin: r.int(
      'RATE_LIMIT_AUTH_FAILURES_PER_MIN',
      DEFAULT_AUTH_LIMITS.failuresPerAddressPerMin,
      0,
      1_000_000,
    ),
    authNegativeCacheMs: r.int('AUTH_NEGATIVE_CACHE_MS', DEFAULT_AUTH_LIMITS.negativeCacheMs, 0, 600_000),
    trustProxy: parseTrustProxy(r.optional('TRUST_PROXY')),
    platformKeyHashes: parsePlatformKeyHashes(r.optional('PLATFORM_KEY_HASHES')),
  };
  r.done();
  if (config.publicBaseUrl !== undefined && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(config.publicBaseUrl)) {
    throw new ConfigError([`PUBLIC_BASE_URL must be an http(s) URL without query, got '${config.publicBaseUrl}'`]);
  }
  return config;
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `TRUST_PROXY`: `true`/`false`, or addresses, CIDRs and presets, comma-separated. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  const entries = text.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => {
    if (PROXY_PRESETS.has(e)) return false;
    const [address = '', bits, ...rest] = e.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return true;
    return bits !== undefined && !(/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (bad.length > 0) {
    throw new ConfigError([
      `TRUST_PROXY must be true, false, or addresses, CIDRs and loopback/linklocal/uniquelocal separated by commas; not ${bad.map((b) => `'${b}'`).join(', ')}`,
    ]);
  }
  return entries.join(',');
}
