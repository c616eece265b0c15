import { createLogger, startHealthServer } from '@switchboard/common';
import { createPool, migrate } from '@switchboard/db';
import { initTelemetry, temporalWorkerTracing } from '@switchboard/telemetry';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from './config.js';
import { createWebhookActivities } from './webhook.activities.js';

let closing = false;
const log = createLogger('webhook-worker');
const config = loadConfig();
const telemetry = initTelemetry('webhook-worker');
const db = createPool(config.databaseUrl, { applicationName: 'webhook-worker' });
await migrate(db);
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const tracing = temporalWorkerTracing(telemetry);
const worker = await Worker.create({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  activities: createWebhookActivities({ db, tracer: telemetry.tracer, maxResponseBytes: config.maxResponseBytes }),
  interceptors: tracing.interceptors,
  maxConcurrentActivityTaskExecutions: config.maxConcurrent,
  // In-flight calls get this long to finish on shutdown; unfinished ones are retried elsewhere.
  shutdownGraceTime: '20 seconds',
});
const running = worker.run();
const health =
  config.healthPort === undefined
    ? undefined
    : await startHealthServer(config.healthPort, () => !closing, config.healthHost);
log.info({ taskQueue: config.taskQueue }, 'webhook worker ready');

async function close(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'shutting down');
  health?.close();
  worker.shutdown();
  await running.catch((err) => log.error({ err }, 'worker stopped with an error'));
  await connection.close();
  await db.end();
  await telemetry.shutdown();
  process.exit(0);
}
process.once('SIGINT', () => void close('SIGINT'));
process.once('SIGTERM', () => void close('SIGTERM'));
running.catch((err) => {
  log.fatal({ err }, 'webhook worker failed');
  process.exit(1);
});
