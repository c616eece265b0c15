import type { ProviderActivities } from '@switchboard/chains';
import { createLogger, EnvReader, exitOnUncaught, type Logger, startHealthServer } from '@switchboard/common';
import { familyProvider, type ProviderFamily, readTaskQueues } from '@switchboard/contracts';
import { createPool, type Keyring, migrate, parseKeyring, pingDatabase, type Queryable } from '@switchboard/db';
import {
  initTelemetry,
  installTemporalRuntime,
  type Tracer,
  temporalProbe,
  temporalWorkerTracing,
} from '@switchboard/telemetry';
import { NativeConnection, Worker } from '@temporalio/worker';
import { withCallIdentity } from './call-identity.js';
import { ProviderCallLog, withCallLog } from './call-log.js';
import { type CredentialAccess, createCredentialAccess } from './credentials.js';
import { toActivityFailure } from './errors.js';
import { createProviderHttp, type ProviderHttp } from './http.js';

/** What a provider worker's activities are built from. */
export interface ProviderWorkerContext {
  /** The environment, for provider settings such as `CALCOM_API_URL` (read with {@link EnvReader}). */
  env: NodeJS.ProcessEnv;
  db: Queryable;
  keyring: Keyring;
  credentials: CredentialAccess;
  http: ProviderHttp;
  tracer: Tracer;
  log: Logger;
}

/** Describes one provider worker service. */
export interface ProviderWorkerSpec {
  /** Service name for logs and traces, e.g. `calcom-worker`. */
  service: string;
  /**
   * The family whose task queue the worker polls. Its name comes from the variables the
   * orchestrator reads too (`readTaskQueues`), so workflows schedule where the worker polls.
   */
  family: ProviderFamily;
  /** Env variable for the concurrent activity limit. */
  concurrencyEnv: string;
  defaultConcurrency?: number;
  /** Builds the activities (keyed by operation name). */
  createActivities(ctx: ProviderWorkerContext): ProviderActivities;
}

/**
 * Wraps activities so every thrown error leaves as a Temporal failure with an explicit retry
 * decision (see {@link toActivityFailure}).
 */
export function withFailureMapping(activities: ProviderActivities): ProviderActivities {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (call: Parameters<typeof fn>[0]) => {
        try {
          return await fn(call);
        } catch (err) {
          throw toActivityFailure(err);
        }
      },
    ]),
  );
}

/**
 * The whole life of a provider worker process: config (failing on every missing variable at
 * once), tracing, database (migrated), credentials keyring, the Temporal worker on its task
 * queue, `/healthz` and `/metrics` (ours and the Temporal SDK's), and a graceful stop on
 * SIGINT/SIGTERM that lets in-flight activities finish within the grace time (unfinished ones
 * are retried by Temporal on another worker).
 */
export async function runProviderWorker(spec: ProviderWorkerSpec, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const r = new EnvReader(env);
  const config = {
    temporalAddress: r.string('TEMPORAL_ADDRESS'),
    namespace: r.string('TEMPORAL_NAMESPACE', 'default'),
    databaseUrl: r.string('DATABASE_URL'),
    keys: r.string('CREDENTIALS_KEYS'),
    taskQueue: readTaskQueues(r)[spec.family],
    concurrency: r.int(spec.concurrencyEnv, spec.defaultConcurrency ?? 100, 1, 10_000),
    healthPort: r.optional('HEALTH_PORT') === undefined ? undefined : r.int('HEALTH_PORT', 0, 1, 65535),
    healthHost: r.string('HEALTH_HOST', '127.0.0.1'),
    callsRetentionHours: r.int('PROVIDER_CALLS_RETENTION_HOURS', 48, 1, 24 * 366),
  };
  r.done();
  const keyring = parseKeyring(config.keys);
  const log = createLogger(spec.service);
  exitOnUncaught(log);
  const telemetry = initTelemetry(spec.service, env);
  const db = createPool(config.databaseUrl, {
    applicationName: spec.service,
    onIdleError: (err) => log.warn({ err }, 'idle database connection lost'),
  });
  await migrate(db);
  const ctx: ProviderWorkerContext = {
    env,
    db,
    keyring,
    credentials: createCredentialAccess(db, keyring),
    http: createProviderHttp({ tracer: telemetry.tracer }),
    tracer: telemetry.tracer,
    log,
  };
  // Every attempt of every operation, for GET /v1/stats (see call-log.ts).
  const callLog = new ProviderCallLog(db, {
    retentionMs: config.callsRetentionHours * 3_600_000,
    onError: (err, what) => log.warn({ err, what }, 'provider call log: database write failed (retried)'),
  });
  callLog.start();
  const activities = withCallIdentity(
    withFailureMapping(withCallLog(spec.createActivities(ctx), callLog, familyProvider(spec.family))),
  );
  // The SDK's own worker metrics join ours on /metrics, its logs ours (before the runtime is first used).
  await installTemporalRuntime(telemetry.metrics, log);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const tracing = temporalWorkerTracing();
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities,
    interceptors: tracing.interceptors,
    maxConcurrentActivityTaskExecutions: config.concurrency,
    shutdownGraceTime: '20 seconds',
  });
  const running = worker.run();
  let closing = false;
  const health =
    config.healthPort === undefined
      ? undefined
      : await startHealthServer(config.healthPort, () => !closing, config.healthHost, {
          metrics: () => telemetry.metrics.text(),
          // Activities read credentials from Postgres and take their tasks from Temporal.
          dependencies: { postgres: () => pingDatabase(db), temporal: temporalProbe(connection) },
        });
  log.info({ taskQueue: config.taskQueue, operations: Object.keys(activities) }, `${spec.service} ready`);

  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    health?.close();
    // The SDK's runtime also reacts to SIGINT/SIGTERM and may have started draining already;
    // a second shutdown() would throw and cut our own clean-up short.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch((err) => log.error({ err }, 'worker stopped with an error'));
    await callLog.close();
    await connection.close();
    await db.end();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void close('SIGINT'));
  process.once('SIGTERM', () => void close('SIGTERM'));
  running.catch((err) => {
    log.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
