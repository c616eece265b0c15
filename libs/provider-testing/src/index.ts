/**
 * Test harness for provider workers: a real Temporal dev server and Postgres (started on free
 * ports, always torn down), a tenant with credentials, the worker's activities on their own
 * task queue, and `run()` to execute one operation through Temporal with a retry policy.
 * A dev dependency: import it in tests only (it starts servers through `@switchboard/devstack`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProviderActivities, type ProviderCall, workflowBundlePath } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import {
  type CredentialProvider,
  type CredentialSecret,
  createPool,
  createTenant,
  generateKeyringSpec,
  type Keyring,
  migrate,
  parseKeyring,
  putCredential,
} from '@switchboard/db';
import { type PostgresServer, startPostgres, startTemporal, type TemporalServer } from '@switchboard/devstack';
import {
  createCredentialAccess,
  createProviderHttp,
  type ProviderWorkerContext,
  withFailureMapping,
} from '@switchboard/providers';
import { trace } from '@switchboard/telemetry';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type pg from 'pg';

/** A running harness. */
export interface ProviderTestEnv {
  db: pg.Pool;
  keyring: Keyring;
  tenantId: string;
  /** The context activities are built from (real credentials access, HTTP client, no-op tracer). */
  ctx: ProviderWorkerContext;
  /** Stores a credential for the test tenant. */
  putCredential(name: string, provider: CredentialProvider, secret: CredentialSecret): Promise<void>;
  /** Runs the activities built by `create(ctx)` on a fresh task queue until `fn` resolves. */
  withWorker<T>(
    create: (ctx: ProviderWorkerContext) => ProviderActivities,
    fn: (run: RunOperation) => Promise<T>,
  ): Promise<T>;
  stop(): Promise<void>;
}

/** Executes one operation through Temporal; returns the outcome (never throws for a failure). */
export type RunOperation = (
  operation: string,
  payload: JsonValue,
  options?: {
    intentId?: string;
    stepPointer?: string;
    /** Run as a test call (effects recorded for clean-up); default false. */
    sandbox?: boolean;
    conversationId?: string;
    maximumAttempts?: number;
    initialIntervalMs?: number;
    startToCloseTimeoutMs?: number;
  },
) => Promise<OperationOutcome>;

/** How an operation run by the test workflow ended. */
export type OperationOutcome =
  | { ok: true; result: JsonValue }
  | { ok: false; error: { code: string; message: string; retryable: boolean } };

/**
 * The result of an operation that succeeded, read as `T` (the result the operation documents);
 * throws, with the error, when it failed.
 */
export function resultOf<T>(outcome: OperationOutcome): T {
  if (!outcome.ok) throw new Error(`the operation failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result as T;
}

let counter = 0;

export async function startProviderTestEnv(): Promise<ProviderTestEnv> {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-provider-'));
  chmodSync(dir, 0o755);
  let temporal: TemporalServer | undefined;
  let postgres: PostgresServer | undefined;
  try {
    [temporal, postgres] = await Promise.all([
      startTemporal({ logDir: join(dir, 'logs') }),
      startPostgres({ dataDir: join(dir, 'pg'), logDir: join(dir, 'logs'), ephemeral: true }),
    ]);
  } catch (err) {
    await temporal?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const db = createPool(postgres.url);
  // Postgres stops before idle pooled connections notice; their 57P01 errors are expected then.
  db.on('error', () => {});
  await migrate(db);
  const tenant = await createTenant(db, 'provider-tests');
  const keyring = parseKeyring(generateKeyringSpec('test'));
  const tracer = trace.getTracer('provider-tests');
  const ctx: ProviderWorkerContext = {
    env: process.env,
    db,
    keyring,
    credentials: createCredentialAccess(db, keyring),
    http: createProviderHttp({ tracer }),
    tracer,
    log: { info() {}, warn() {}, error() {}, debug() {}, fatal() {}, trace() {} } as never,
  };
  const address = temporal.address;
  const stopTemporal = temporal.stop;
  const stopPostgres = postgres.stop;
  return {
    db,
    keyring,
    tenantId: tenant.id,
    ctx,
    putCredential: (name, provider, secret) =>
      putCredential(db, keyring, { tenantId: tenant.id, name, provider, secret }),
    async withWorker(create, fn) {
      const taskQueue = `provider-test-${process.pid}-${++counter}`;
      const connection = await NativeConnection.connect({ address });
      const clientConnection = await Connection.connect({ address });
      const client = new Client({ connection: clientConnection });
      const activityWorker = await Worker.create({
        connection,
        taskQueue,
        activities: withFailureMapping(create(ctx)),
      });
      const probeWorker = await Worker.create({
        connection,
        taskQueue: `${taskQueue}-probe`,
        workflowBundle: { codePath: workflowBundlePath },
      });
      const run: RunOperation = async (operation, payload, options = {}) => {
        const call: ProviderCall = {
          tenantId: tenant.id,
          intentId: options.intentId ?? `int_test${++counter}`,
          conversationId: options.conversationId ?? 'conv_test',
          stepPointer: options.stepPointer ?? '/actions/0',
          operation,
          payload,
          sandbox: options.sandbox ?? false,
        };
        return client.workflow.execute('providerProbe', {
          taskQueue: `${taskQueue}-probe`,
          workflowId: `probe-${call.intentId}-${counter}`,
          args: [{ call, taskQueue, ...options }],
        });
      };
      try {
        return await activityWorker.runUntil(probeWorker.runUntil(fn(run)));
      } finally {
        await clientConnection.close();
        await connection.close();
      }
    },
    async stop() {
      await db.end();
      await Promise.all([stopTemporal(), stopPostgres()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
