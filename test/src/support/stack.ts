import { join } from 'node:path';
import { newPlatformKey } from '@switchboard/common';
import { createPool, generateKeyringSpec, migrate, parseKeyring } from '@switchboard/db';
import {
  type DemoSeed,
  type Infra,
  type JaegerServer,
  type ProviderSandboxes,
  type Services,
  type Sink,
  seedDemo,
  startInfra,
  startJaeger,
  startProviderSandboxes,
  startServices,
  startSink,
} from '@switchboard/devstack';
import type pg from 'pg';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

/** A JSON response; bodies are loosely typed because the assertions check them. */
export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
  body: any;
}

/** The whole stack as separate processes, on free ports, for end-to-end tests. */
export interface TestStack {
  infra: Infra;
  db: pg.Pool;
  sink: Sink;
  sandboxes: ProviderSandboxes;
  otlp: OtlpReceiver;
  /** The Jaeger the services export to, when the stack was started with `jaeger: true`. */
  jaeger?: JaegerServer;
  seed: DemoSeed;
  /** The platform-admin key the conversation service takes (`PLATFORM_KEY_HASHES`). */
  platformKey: string;
  services: Services;
  /**
   * Starts one more conversation-service process against the same NATS, Temporal and Postgres,
   * with the same settings, on its own port (stopped with the stack): a replica, for tests of
   * what holds across replicas.
   */
  startConversationReplica(): Promise<Services>;
  /** Authenticated JSON request against the public API. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  stop(): Promise<void>;
}

/** Options of {@link startTestStack}. */
export interface TestStackOptions {
  /** Send the services' spans to the in-process OTLP receiver. Default true. */
  exportSpans?: boolean;
  /**
   * Start a real Jaeger (the installed one, see `findJaeger`) and send the services' spans to it
   * instead of the in-process receiver. Default false.
   */
  jaeger?: boolean;
  /** Keep Temporal's state in a file, so `infra.restart('temporal')` keeps workflows (chaos tests). */
  persistTemporal?: boolean;
  /** Extra environment for every service (e.g. `TOOL_CALL_TIMEOUT_MS`); wins over the defaults here. */
  serviceEnv?: NodeJS.ProcessEnv;
  /** A Temporal to use instead of starting the dev server (the time-skipping test server). */
  temporalAddress?: string;
  /**
   * Cluster mode: this many processes of every service (`services.apiUrls` lists the
   * conversation replicas) and, above 1, a three-node NATS cluster with the streams at
   * replicas 3. Default 1: one process each and a single nats-server.
   */
  replicas?: number;
}

export async function startTestStack(logDir: string, options: TestStackOptions = {}): Promise<TestStack> {
  // Jaeger starts beside the infrastructure; whichever started is stopped when the other failed.
  const [infraStart, jaegerStart] = await Promise.allSettled([
    startInfra({
      logDir,
      ...(options.persistTemporal ? { persistTemporal: true } : {}),
      ...((options.replicas ?? 1) > 1 ? { natsCluster: true } : {}),
      ...(options.temporalAddress ? { external: { temporalAddress: options.temporalAddress } } : {}),
    }),
    options.jaeger === true ? startJaeger({ logDir }) : undefined,
  ]);
  if (infraStart.status === 'rejected' || jaegerStart.status === 'rejected') {
    if (infraStart.status === 'fulfilled') await infraStart.value.stop().catch(() => {});
    if (jaegerStart.status === 'fulfilled') await jaegerStart.value?.stop().catch(() => {});
    throw infraStart.status === 'rejected' ? infraStart.reason : (jaegerStart as PromiseRejectedResult).reason;
  }
  const infra = infraStart.value;
  const jaeger = jaegerStart.value;
  const stops: (() => Promise<unknown>)[] = [() => infra.stop()];
  if (jaeger) stops.push(() => jaeger.stop());
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const db = createPool(infra.databaseUrl, { applicationName: 'e2e' });
    // Postgres stops before idle pooled connections notice; their 57P01 errors are expected then.
    db.on('error', () => {});
    stops.push(() => db.end());
    await migrate(db);
    const sink = await startSink();
    stops.push(() => sink.close());
    const sandboxes = await startProviderSandboxes();
    stops.push(() => sandboxes.close());
    const otlp = await startOtlpReceiver();
    stops.push(() => otlp.close());
    const credentialsKeys = generateKeyringSpec('test');
    const platform = newPlatformKey();
    const seed = await seedDemo(db, {
      sinkUrl: sink.url,
      keyring: parseKeyring(credentialsKeys),
      credentials: sandboxes.credentials,
    });
    const servicesOptions = {
      natsUrl: infra.natsUrl,
      temporalAddress: infra.temporalAddress,
      databaseUrl: infra.databaseUrl,
      logDir,
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
      env: {
        CREDENTIALS_KEYS: credentialsKeys,
        PLATFORM_KEY_HASHES: platform.sha256,
        ...sandboxes.env,
        ...(options.exportSpans === false
          ? {}
          : { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger?.otlpEndpoint ?? otlp.url, OTEL_BSP_SCHEDULE_DELAY: '100' }),
        // The console links runs to their traces in this Jaeger.
        ...(jaeger ? { TRACE_URL_TEMPLATE: jaeger.traceUrlTemplate } : {}),
        LOG_LEVEL: 'warn',
        ...options.serviceEnv,
      },
    };
    const services = await startServices(servicesOptions);
    stops.push(() => services.stop());
    let replicas = 0;
    const startConversationReplica = async () => {
      const replica = await startServices({
        ...servicesOptions,
        logDir: join(logDir, `conversation-replica-${++replicas}`),
        only: ['conversation'],
      });
      stops.push(() => replica.stop());
      return replica;
    };
    const api: TestStack['api'] = async (method, path, body, headers = {}) => {
      const res = await fetch(`${services.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${seed.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
    };
    return {
      infra,
      db,
      sink,
      sandboxes,
      otlp,
      ...(jaeger ? { jaeger } : {}),
      seed,
      platformKey: platform.key,
      services,
      startConversationReplica,
      api,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Polls until `probe` returns a value, or fails after `timeoutMs`. The default is generous: a
 * condition that holds in milliseconds on a quiet machine can take seconds on a loaded one, and
 * the bound only decides how long a real failure takes to report.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
