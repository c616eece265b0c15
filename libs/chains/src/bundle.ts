import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import {
  workflowBundlePath,
  workflowPreloadModules,
  workflowsPath,
  workflowTracingModule,
} from './workflow-modules.js';

/** Options of {@link loadWorkflowCode}. */
export interface WorkflowCodeOptions {
  /**
   * Stack frames captured per `Error` inside the workflow sandbox (V8's `Error.stackTraceLimit`
   * of the sandbox's context). The SDK's promise hook captures and source-maps a stack for every
   * promise a workflow creates (for the `__stack_trace` query); at 10 frames that was 28 % of
   * the orchestrator's CPU per booking chain in the bench. 0 turns the capture off: workflow
   * failures then carry their message, type and step pointer but no workflow-side stack, and the
   * stack-trace query names no frame. Raise it (e.g. 10) to debug where a workflow waits.
   * Integer 0–100.
   */
  stackTraceLimit: number;
}

/**
 * The workflow code a chains worker runs, as the `workflowBundle` option of `Worker.create`:
 * the bundle pre-built by `bin/bundle-workflows.mjs` or, in a source checkout that skipped that
 * step, a bundle made now; both with the sandbox's stack-trace limit set before any workflow
 * module runs.
 */
export async function loadWorkflowCode(options: WorkflowCodeOptions): Promise<{ code: string }> {
  const code = existsSync(workflowBundlePath)
    ? await readFile(workflowBundlePath, 'utf8')
    : (
        await bundleWorkflowCode({
          workflowsPath,
          workflowInterceptorModules: [workflowTracingModule],
          preloadModules: [...workflowPreloadModules],
        })
      ).code;
  return { code: withStackTraceLimit(code, options.stackTraceLimit) };
}

/**
 * Prefixes a workflow bundle with an assignment of the sandbox's `Error.stackTraceLimit`. The
 * bundle is evaluated once per worker thread in the context every workflow shares, so the limit
 * holds for all of them. The assignment goes on the bundle's first line, before its code, so the
 * inline source map's line numbers stay right.
 */
export function withStackTraceLimit(code: string, limit: number): string {
  if (!Number.isInteger(limit) || limit < 0 || limit > 100) {
    throw new RangeError(`stackTraceLimit must be an integer 0–100, got ${limit}`);
  }
  return `Error.stackTraceLimit = ${limit}; ${code}`;
}
