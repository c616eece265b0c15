import { EnvReader } from '@switchboard/common';
import { TaskQueues } from '@switchboard/contracts/temporal';

/** Webhook worker configuration, read once at start. */
export interface WebhookWorkerConfig {
  temporalAddress: string;
  temporalNamespace: string;
  databaseUrl: string;
  /** Port of the `/healthz` endpoint; none when unset. */
  healthPort: number | undefined;
  /** Interface of the health endpoint (`0.0.0.0` in containers). */
  healthHost: string;
  taskQueue: string;
  /** Concurrent webhook calls in this process. */
  maxConcurrent: number;
  /** Largest response body read, in bytes; larger responses fail the call. */
  maxResponseBytes: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WebhookWorkerConfig {
  const r = new EnvReader(env);
  const config: WebhookWorkerConfig = {
    temporalAddress: r.string('TEMPORAL_ADDRESS'),
    temporalNamespace: r.string('TEMPORAL_NAMESPACE', 'default'),
    databaseUrl: r.string('DATABASE_URL'),
    healthPort: r.optional('HEALTH_PORT') === undefined ? undefined : r.int('HEALTH_PORT', 0, 1, 65535),
    healthHost: r.string('HEALTH_HOST', '127.0.0.1'),
    taskQueue: r.string('WEBHOOK_TASK_QUEUE', TaskQueues.Webhook),
    maxConcurrent: r.int('WEBHOOK_MAX_CONCURRENT', 200, 1, 10_000),
    maxResponseBytes: r.int('WEBHOOK_MAX_RESPONSE_BYTES', 1_048_576, 1024, 100 * 1_048_576),
  };
  r.done();
  return config;
}
