import { fileURLToPath } from 'node:url';
import { SwitchboardError } from '@switchboard/common';
import { ApplicationFailure } from '@temporalio/common';

/**
 * Maps an activity's error to a Temporal failure with an explicit retry decision: the
 * SwitchboardError's `code` becomes the failure type, and `retryable: false` becomes
 * non-retryable, so Temporal never retries what cannot succeed.
 */
export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof SwitchboardError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.details ? { details: [err.details] } : {}),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: 'internal', message, nonRetryable: false });
}

/** Path of the workflows entry module (for bundling at start in development). */
export const workflowsPath = fileURLToPath(new URL('./workflows/index.js', import.meta.url));
/** Path of the pre-built workflow bundle written by `bin/bundle-workflows.mjs` at build time. */
export const workflowBundlePath = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
/**
 * The workflow interceptor module that carries trace context into activity and child-workflow
 * headers (see `workflows/trace-context.ts`); part of every bundle of these workflows.
 */
export const workflowTracingModule = fileURLToPath(new URL('./workflows/trace-context.js', import.meta.url));
/**
 * Modules evaluated once per worker thread and shared by every workflow, instead of once per
 * workflow (the SDK's `preloadModules`): the chain interpreter with its expression compiler
 * (acorn) and phone metadata is pure code and constant tables, and was most of what each new
 * workflow spent on start-up time and memory. Anything listed must keep no per-workflow state
 * at module level; the SDK deep-freezes its exports.
 */
export const workflowPreloadModules: readonly string[] = ['@switchboard/actions'];
