import { EnvReader } from '@switchboard/common';
import {
  DefaultSessionSettings,
  readTaskQueues,
  type SessionSettings,
  type TaskQueueNames,
} from '@switchboard/contracts';

/** Orchestrator configuration, read once at start. */
export interface OrchestratorConfig {
  natsUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  databaseUrl: string;
  /** Port of the `/healthz` endpoint; none when unset. */
  healthPort: number | undefined;
  /** Interface of the health endpoint (`0.0.0.0` in containers). */
  healthHost: string;
  /** Chain workflows' task queue (`taskQueues.Chains`). */
  taskQueue: string;
  /** Every task queue of the deployment; workflows get them with their input (`session.taskQueues`). */
  taskQueues: TaskQueueNames;
  /** Intents handed to Temporal concurrently (across conversations). */
  maxInFlight: number;
  /** Concurrent workflow tasks in this worker. */
  maxWorkflowTasks: number;
  /** Workflows kept in the sticky cache (memory vs. replay cost). */
  maxCachedWorkflows: number;
  /**
   * Stack frames captured per error inside workflows. 0 (default) spares the per-promise stack
   * capture the SDK does; raise it to see workflow stacks when debugging (see `WorkflowCodeOptions`).
   */
  workflowStackTraceLimit: number;
  /** How often stuck runs are looked at, ms (`STUCK_RUN_SWEEP_MS`); 0 turns the sweeper off. */
  stuckRunSweepMs: number;
  /**
   * How long after its deadline an unfinished run is looked at, and ended `run_abandoned` when
   * nothing can run it any more (`STUCK_RUN_ABANDON_AFTER_MS`).
   */
  stuckRunAbandonAfterMs: number;
  /** Executor settings attached to every intent (confirmation, "still working", end call, lifecycle). */
  session: SessionSettings;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OrchestratorConfig {
  const r = new EnvReader(env);
  const taskQueues = readTaskQueues(r);
  const config: OrchestratorConfig = {
    natsUrl: r.string('NATS_URL'),
    temporalAddress: r.string('TEMPORAL_ADDRESS'),
    temporalNamespace: r.string('TEMPORAL_NAMESPACE', 'default'),
    databaseUrl: r.string('DATABASE_URL'),
    healthPort: r.optional('HEALTH_PORT') === undefined ? undefined : r.int('HEALTH_PORT', 0, 1, 65535),
    healthHost: r.string('HEALTH_HOST', '127.0.0.1'),
    taskQueue: taskQueues.Chains,
    taskQueues,
    maxInFlight: r.int('ORCHESTRATOR_MAX_IN_FLIGHT', 256, 1, 10_000),
    maxWorkflowTasks: r.int('ORCHESTRATOR_MAX_WORKFLOW_TASKS', 100, 1, 10_000),
    maxCachedWorkflows: r.int('ORCHESTRATOR_MAX_CACHED_WORKFLOWS', 2000, 0, 1_000_000),
    workflowStackTraceLimit: r.int('ORCHESTRATOR_WORKFLOW_STACK_TRACE_LIMIT', 0, 0, 100),
    stuckRunSweepMs: r.int('STUCK_RUN_SWEEP_MS', 60_000, 0, 86_400_000),
    stuckRunAbandonAfterMs: r.int('STUCK_RUN_ABANDON_AFTER_MS', 600_000, 0, 30 * 86_400_000),
    session: {
      confirmationTimeoutMs: r.int(
        'CONFIRMATION_TIMEOUT_MS',
        DefaultSessionSettings.confirmationTimeoutMs,
        1_000,
        86_400_000,
      ),
      stillWorkingAfterMs: r.int('STILL_WORKING_AFTER_MS', DefaultSessionSettings.stillWorkingAfterMs, 100, 600_000),
      endCallDeliveryTimeoutMs: r.int(
        'END_CALL_DELIVERY_TIMEOUT_MS',
        DefaultSessionSettings.endCallDeliveryTimeoutMs,
        0,
        600_000,
      ),
      lifecycle: {
        confirmWithinMs: r.int(
          'BOOKING_CONFIRM_WITHIN_MS',
          DefaultSessionSettings.lifecycle.confirmWithinMs,
          1_000,
          30 * 86_400_000,
        ),
        reminderBeforeMs: r.int(
          'BOOKING_REMINDER_BEFORE_MS',
          DefaultSessionSettings.lifecycle.reminderBeforeMs,
          0,
          30 * 86_400_000,
        ),
      },
      taskQueues,
    },
  };
  r.done();
  return config;
}
