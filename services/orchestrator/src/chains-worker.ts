import { createOutcomeThenLifecyclesActivities, loadWorkflowCode, type SessionActivities } from '@switchboard/chains';
import type { TaskQueueNames } from '@switchboard/contracts';
import type { Queryable } from '@switchboard/db';
import { temporalWorkerTracing } from '@switchboard/telemetry';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createSandboxCompensationActivities, createTestCallCleanupActivities } from './sandbox.activities.js';

/** Options of {@link createChainsWorker}. */
export interface ChainsWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: SessionActivities;
  /** Serves the sandbox compensation workflow's activities (recorded test-call effects). */
  db: Queryable;
  /** Where the undo operations of a test call's clean-up run; default names when absent. */
  taskQueues?: TaskQueueNames;
  maxWorkflowTasks: number;
  maxCachedWorkflows: number;
  /** Stack frames captured per error inside workflows (see `WorkflowCodeOptions`). */
  workflowStackTraceLimit: number;
}

/**
 * The Temporal worker that runs the chain workflows. It loads the bundle pre-built at build
 * time; only when that is missing (a source checkout that skipped the bundling step) does it
 * bundle at start.
 */
export async function createChainsWorker(o: ChainsWorkerOptions): Promise<Worker> {
  const workflowBundle = await loadWorkflowCode({ stackTraceLimit: o.workflowStackTraceLimit });
  const tracing = temporalWorkerTracing();
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowBundle,
    activities: {
      ...o.activities,
      // The session's outcome-then-lifecycles tail, made of its own two activities above.
      ...createOutcomeThenLifecyclesActivities(o.activities),
      ...createSandboxCompensationActivities({ db: o.db }),
      ...createTestCallCleanupActivities({ db: o.db, ...(o.taskQueues ? { taskQueues: o.taskQueues } : {}) }),
    },
    interceptors: tracing.interceptors,
    maxConcurrentWorkflowTaskExecutions: o.maxWorkflowTasks,
    maxConcurrentLocalActivityExecutions: o.maxWorkflowTasks,
    maxCachedWorkflows: o.maxCachedWorkflows,
    shutdownGraceTime: '10 seconds',
  });
}
