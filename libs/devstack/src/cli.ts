#!/usr/bin/env node
/**
 * `npm run dev`: the whole stack on one machine with embedded defaults — NATS, Temporal and
 * Postgres (unless NATS_URL / TEMPORAL_ADDRESS / DATABASE_URL point elsewhere), Jaeger for the
 * traces (when installed, unless OTEL_EXPORTER_OTLP_ENDPOINT points elsewhere), the webhook
 * sink, demo data and every service as its own process. State persists in .switchboard/state.
 *
 * `npm run dev -- --replicas N` (cluster mode): N processes of every service and a three-node
 * NATS cluster on loopback, its streams at replicas 3.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPlatformKeyShaped, newPlatformKey, platformKeyHash } from '@switchboard/common';
import { createPool, generateKeyringSpec, migrate, parseKeyring } from '@switchboard/db';
import { startInfra } from './infra.js';
import { type JaegerServer, startJaegerIfInstalled } from './jaeger.js';
import { freePort } from './ports.js';
import { stopAll } from './process.js';
import { replicasOf } from './replicas-arg.js';
import { startProviderSandboxes } from './sandboxes.js';
import { seedDemo } from './seed.js';
import { ServiceNames, startServices } from './services.js';
import { startSink } from './sink.js';
import { binaryVersion, findBinary, MissingToolError, repoRoot } from './tools.js';

const home = join(repoRoot, '.switchboard');
const stateDir = join(home, 'state');
const logDir = join(home, 'logs');
const devFile = join(home, 'dev.json');

async function portOr(preferred: number): Promise<number> {
  // Prefer the well-known port so bookmarks work; fall back to a free one when taken.
  const probe = await import('node:net').then(
    ({ createServer }) =>
      new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(false));
        s.listen(preferred, '127.0.0.1', () => s.close(() => resolve(true)));
      }),
  );
  return probe ? preferred : freePort();
}

async function main(): Promise<void> {
  const replicas = replicasOf(process.argv.slice(2));
  mkdirSync(logDir, { recursive: true });
  const external = {
    ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
    ...(process.env.TEMPORAL_ADDRESS ? { temporalAddress: process.env.TEMPORAL_ADDRESS } : {}),
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  };
  // Fail early, with one message naming what is missing and how to get it.
  if (!external.natsUrl) findBinary('nats-server', 'NATS_SERVER_BIN');
  if (!external.temporalAddress) findBinary('temporal', 'TEMPORAL_BIN');
  console.log('switchboard dev: starting infrastructure…');
  // Jaeger starts beside the rest; the stack runs without it when it cannot be had.
  const tracing = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? Promise.resolve({
        missing: `OTEL_EXPORTER_OTLP_ENDPOINT is set: spans go to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`,
      })
    : startJaegerIfInstalled({ logDir, queryPort: await portOr(Number(process.env.JAEGER_UI_PORT ?? 16686)) });
  const infra = await startInfra({
    stateDir,
    logDir,
    external,
    temporalUiPort: await portOr(Number(process.env.TEMPORAL_UI_PORT ?? 8233)),
    // Cluster mode keeps its JetStream state apart (streams at replicas 3 in their own stores).
    ...(replicas > 1 ? { natsCluster: true } : {}),
  });
  const traces = await tracing;
  const jaeger = 'jaeger' in traces ? traces.jaeger : undefined;
  const noJaeger = 'missing' in traces ? traces.missing : undefined;
  const stopEverything = async () => {
    await services?.stop().catch(() => {});
    await sink.close().catch(() => {});
    await sandboxes.close().catch(() => {});
    await infra.stop().catch(() => {});
    await jaeger?.stop().catch(() => {});
    await stopAll();
  };
  let services: Awaited<ReturnType<typeof startServices>> | undefined;
  const sink = await startSink(await portOr(Number(process.env.SINK_PORT ?? 8090)));
  const sandboxes = await startProviderSandboxes({
    calcom: await portOr(8091),
    twilio: await portOr(8092),
    hubspot: await portOr(8093),
  });
  const shutdown = (signal: string) => {
    console.log(`\nswitchboard dev: ${signal}, stopping…`);
    void stopEverything().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  try {
    const db = createPool(infra.databaseUrl, { applicationName: 'devstack' });
    await migrate(db);
    const previous = existsSync(devFile)
      ? (JSON.parse(readFileSync(devFile, 'utf8')) as {
          apiKey?: string;
          credentialsKeys?: string;
          platformKey?: string;
        })
      : {};
    // The platform-admin key: kept across restarts like the tenant key; the service gets its hash.
    const platformKey =
      previous.platformKey && isPlatformKeyShaped(previous.platformKey) ? previous.platformKey : newPlatformKey().key;
    // The keyring must survive restarts with the data it encrypted: reuse the stored one.
    const credentialsKeys = process.env.CREDENTIALS_KEYS ?? previous.credentialsKeys ?? generateKeyringSpec('dev');
    const seed = await seedDemo(db, {
      sinkUrl: sink.url,
      ...(previous.apiKey ? { existingKey: previous.apiKey } : {}),
      keyring: parseKeyring(credentialsKeys),
      credentials: sandboxes.credentials,
    });
    await db.end();
    console.log('switchboard dev: starting services…');
    const temporalUiUrl = process.env.TEMPORAL_UI_URL ?? infra.temporalUiUrl;
    services = await startServices({
      natsUrl: infra.natsUrl,
      temporalAddress: infra.temporalAddress,
      databaseUrl: infra.databaseUrl,
      apiPort: await portOr(Number(process.env.PORT ?? 8080)),
      replicas,
      logDir,
      env: {
        CREDENTIALS_KEYS: credentialsKeys,
        PLATFORM_KEY_HASHES: platformKeyHash(platformKey),
        ...sandboxes.env,
        // The console links runs to their workflow in this UI (conversation reads it).
        ...(temporalUiUrl ? { TEMPORAL_UI_URL: temporalUiUrl } : {}),
        ...(jaeger
          ? {
              OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
              TRACE_URL_TEMPLATE: process.env.TRACE_URL_TEMPLATE ?? jaeger.traceUrlTemplate,
            }
          : {}),
      },
    });
    const running = services;
    const endpoints = {
      apiUrl: services.apiUrl,
      apiUrls: services.apiUrls,
      replicas,
      apiKey: seed.apiKey,
      tenantId: seed.tenantId,
      platformKey,
      agent: seed.agentName,
      natsUrl: infra.natsUrl,
      temporalAddress: infra.temporalAddress,
      temporalUiUrl: infra.temporalUiUrl ?? null,
      traces: jaeger?.url ?? null,
      metrics: Object.fromEntries(ServiceNames.map((name) => [name, running.metricsUrl(name)])),
      databaseUrl: infra.databaseUrl,
      credentialsKeys,
      sandboxes: { webhookSink: sink.url, ...sandboxes.urls },
      logs: logDir,
      versions: {
        natsServer: external.natsUrl ? 'external' : binaryVersion(findBinary('nats-server', 'NATS_SERVER_BIN')),
        temporal: external.temporalAddress ? 'external' : binaryVersion(findBinary('temporal', 'TEMPORAL_BIN')),
        jaeger: jaeger?.version ?? null,
      },
    };
    writeFileSync(devFile, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    console.log(`
Switchboard is running (endpoints in .switchboard/dev.json, logs in .switchboard/logs).
  API          ${services.apiUrls.join('  ')}
  Mode         ${replicas > 1 ? `cluster: ${replicas} processes of every service, NATS cluster of 3 (${infra.natsUrl})` : 'single process per service'}
  Console      ${services.apiUrl}/console/  (Operations: ${services.apiUrl}/console/#operations)
  Temporal UI  ${infra.temporalUiUrl ?? '(external Temporal)'}
  Jaeger       ${jaegerLine(jaeger, noJaeger)}
  Metrics      ${services.metricsUrl('conversation')}  (every service's: "metrics" in .switchboard/dev.json)
  Webhook sink ${sink.url}/_sink/requests
  Sandboxes    Cal.com ${sandboxes.urls.calcom}  Twilio ${sandboxes.urls.twilio}  HubSpot ${sandboxes.urls.hubspot}
               (state at /_sandbox/state, faults at POST /_sandbox/faults)

Make a first tool call:
  KEY=${seed.apiKey}
  CONV=$(curl -s -X POST ${services.apiUrl}/v1/conversations -H "authorization: Bearer $KEY" \\
    -H 'content-type: application/json' -d '{"agent":"demo"}' | sed -E 's/.*"id":"([^"]+)".*/\\1/')
  curl -s -X POST ${services.apiUrl}/v1/conversations/$CONV/tool-calls -H "authorization: Bearer $KEY" \\
    -H 'content-type: application/json' -H 'idempotency-key: first-call' \\
    -d '{"name":"save_meal","arguments":{"meal_type":"lunch","dishes":["soup","bread"]}}'

Platform administration (tenants): npx switchboard tenants list   (uses platformKey from dev.json)

Press Ctrl-C to stop everything.`);
  } catch (err) {
    await stopEverything();
    throw err;
  }
}

/** The banner's Jaeger line: where the traces are, or why there are none. */
function jaegerLine(jaeger: JaegerServer | undefined, missing: string | undefined): string {
  if (!jaeger) return `not running: ${missing}`;
  if (jaeger.ui) return jaeger.url;
  return `${jaeger.url}/api/traces/<trace id>  (query API; this build has no UI)`;
}

main().catch((err: unknown) => {
  if (err instanceof MissingToolError) console.error(`switchboard dev: ${err.message}`);
  else console.error('switchboard dev: failed to start:', err);
  process.exit(1);
});
