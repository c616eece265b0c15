/** Where the workflow code and its bundle are, and what a bundle is built with. */
import { fileURLToPath } from 'node:url';

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
