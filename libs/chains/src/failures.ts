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
