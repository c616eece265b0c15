import { connectBus, ensureStreams, streamReplicas } from '@switchboard/bus';
import { createLogger, exitOnUncaught, startHealthServer } from '@switchboard/common';
import { createPool, migrate, pingDatabase } from '@switchboard/db';
import {
  initTelemetry,
  installTemporalRuntime,
  temporalClientInterceptor,
  temporalProbe,
} from '@switchboard/telemetry';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createChainsWorker } from './chains-worker.js';
import { startCompensation } from './compensation.js';
import { loadConfig } from './config.js';
import { ConfirmationTracker, observeOrchestratorGauges } from './gauges.js';
import { startInboundConsumer } from './inbound-consumer.js';
import { startIntentConsumer } from './intent-consumer.js';
import { createSessionActivities } from './outcome.activities.js';
import { StuckRunSweeper } from './stuck-runs.js';

let closing = false;
const log = createLogger('orchestrator');
exitOnUncaught(log);
const config = loadConfig();
const telemetry = initTelemetry('orchestrator');

const db = createPool(config.databaseUrl, {
  applicationName: 'orchestrator',
  onIdleError: (err) => log.warn({ err }, 'idle database connection lost'),
});
await migrate(db);
const bus = await connectBus(config.natsUrl, { name: 'orchestrator' });
await ensureStreams(bus.jsm, { replicas: streamReplicas(bus.nc) });
const clientConnection = await Connection.connect({ address: config.temporalAddress });
const temporal = new Client({
  connection: clientConnection,
  namespace: config.temporalNamespace,
  interceptors: { workflow: [temporalClientInterceptor()] },
});
// The SDK's own worker metrics join ours on /metrics, its logs ours (before the runtime is first used).
await installTemporalRuntime(telemetry.metrics, log);
const workerConnection = await NativeConnection.connect({ address: config.temporalAddress });
const confirmations = new ConfirmationTracker(config.session.confirmationTimeoutMs);
const sessionActivities = createSessionActivities({
  bus,
  db,
  temporal,
  taskQueue: config.taskQueue,
  telemetry,
  confirmations,
});
const stopGauges = observeOrchestratorGauges({
  bus,
  db,
  temporal,
  confirmations,
  onError: (err, gauge) => log.warn({ err, gauge }, 'gauge not observed'),
});
const worker = await createChainsWorker({
  connection: workerConnection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  activities: sessionActivities,
  db,
  taskQueues: config.taskQueues,
  maxWorkflowTasks: config.maxWorkflowTasks,
  maxCachedWorkflows: config.maxCachedWorkflows,
  workflowStackTraceLimit: config.workflowStackTraceLimit,
});
const running = worker.run();
const consumer = await startIntentConsumer({
  bus,
  temporal,
  db,
  tracer: telemetry.tracer,
  log,
  taskQueue: config.taskQueue,
  maxInFlight: config.maxInFlight,
  settings: config.session,
  publishOutcome: sessionActivities.publishOutcome,
  compensate: (control) =>
    startCompensation({ temporal, taskQueue: config.taskQueue, taskQueues: config.taskQueues }, control),
});
const inbound = await startInboundConsumer({
  bus,
  temporal,
  db,
  tracer: telemetry.tracer,
  log,
  taskQueue: config.taskQueue,
  maxInFlight: config.maxInFlight,
});
// Runs nothing will ever finish end `failed` (run_abandoned) instead of staying unseen.
const sweeper = new StuckRunSweeper({
  db,
  bus,
  temporal,
  tracer: telemetry.tracer,
  log,
  publishOutcome: sessionActivities.publishOutcome,
  overdueMs: config.stuckRunAbandonAfterMs,
});
if (config.stuckRunSweepMs > 0) sweeper.start(config.stuckRunSweepMs);
const health =
  config.healthPort === undefined
    ? undefined
    : await startHealthServer(config.healthPort, () => !closing, config.healthHost, {
        metrics: () => telemetry.metrics.text(),
        // Without any of them this replica can hand no intent to a chain: out of the Service.
        dependencies: {
          postgres: () => pingDatabase(db),
          nats: () => bus.jsm.getAccountInfo(),
          temporal: temporalProbe(workerConnection),
        },
      });
log.info({ taskQueues: config.taskQueues }, 'orchestrator ready');

async function close(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'shutting down');
  health?.close();
  stopGauges();
  // Stop taking intents first; in-flight ones finish or are redelivered to another replica.
  await Promise.all([consumer.stop(), inbound.stop(), sweeper.stop()]);
  // The SDK's runtime also reacts to SIGINT/SIGTERM and may have started draining already;
  // a second shutdown() would throw and cut our own clean-up short.
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running.catch((err) => log.error({ err }, 'worker stopped with an error'));
  await bus.close();
  await clientConnection.close();
  await workerConnection.close();
  await db.end();
  await telemetry.shutdown();
  process.exit(0);
}
process.once('SIGINT', () => void close('SIGINT'));
process.once('SIGTERM', () => void close('SIGTERM'));
running.catch((err) => {
  log.fatal({ err }, 'chains worker failed');
  process.exit(1);
});
