import { connectBus, ensureStreams, streamReplicas } from '@switchboard/bus';
import { createLogger, exitOnUncaught } from '@switchboard/common';
import { createPool, migrate, parseKeyring } from '@switchboard/db';
import { initTelemetry } from '@switchboard/telemetry';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const log = createLogger('conversation', config.logLevel);
exitOnUncaught(log);
const telemetry = initTelemetry('conversation');
const db = createPool(config.databaseUrl, {
  applicationName: 'conversation',
  max: 20,
  onIdleError: (err) => log.warn({ err }, 'idle database connection lost'),
});
await migrate(db);
const bus = await connectBus(config.natsUrl, { name: 'conversation' });
await ensureStreams(bus.jsm, { replicas: streamReplicas(bus.nc) });
const app = await buildApp({
  db,
  bus,
  tracer: telemetry.tracer,
  toolCallTimeoutMs: config.toolCallTimeoutMs,
  runDeadline: { graceMs: config.runDeadlineGraceMs, confirmationTimeoutMs: config.confirmationTimeoutMs },
  bodyLimitBytes: config.bodyLimitBytes,
  rateLimits: { perKeyPerMin: config.rateLimitPerKeyPerMin, perTenantPerMin: config.rateLimitPerTenantPerMin },
  rateLimitSyncMs: config.rateLimitSyncMs,
  authLimits: {
    failuresPerAddressPerMin: config.rateLimitAuthFailuresPerMin,
    negativeCacheMs: config.authNegativeCacheMs,
  },
  trustProxy: config.trustProxy,
  platformKeyHashes: config.platformKeyHashes,
  logger: log,
  metrics: telemetry.metrics,
  ...(config.credentialsKeys ? { keyring: parseKeyring(config.credentialsKeys) } : {}),
  ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
});
const address = await app.listen({ host: config.host, port: config.port });
log.info({ address }, 'conversation service listening');

let closing = false;
async function close(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'shutting down');
  // Stop accepting requests and let in-flight ones finish, then release dependencies.
  await app.close();
  await bus.close();
  await db.end();
  await telemetry.shutdown();
  process.exit(0);
}
process.once('SIGINT', () => void close('SIGINT'));
process.once('SIGTERM', () => void close('SIGTERM'));
