#!/usr/bin/env node
// Pre-builds the workflow bundle (webpack, via the Temporal SDK) after `tsc`, so workers start
// from a fixed artefact instead of bundling at every start (seconds saved per worker restart,
// and what runs in production is exactly what was built and tested).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowPreloadModules, workflowTracingModule } from '../dist/index.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { code } = await bundleWorkflowCode({
  workflowsPath: join(dist, 'workflows', 'index.js'),
  workflowInterceptorModules: [workflowTracingModule],
  // Shared by every workflow of a worker thread instead of evaluated per workflow: see
  // `workflowPreloadModules` in src/workflow-modules.ts (kept in one place with its reasons).
  preloadModules: [...workflowPreloadModules],
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
});
writeFileSync(join(dist, 'workflow-bundle.js'), code);
console.log(`bundle-workflows: wrote ${join(dist, 'workflow-bundle.js')} (${Math.round(code.length / 1024)} KiB)`);
