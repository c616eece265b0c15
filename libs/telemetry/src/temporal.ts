import { createRequire } from 'node:module';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { Telemetry } from './telemetry.js';

const require = createRequire(import.meta.url);

/**
 * Module that installs the OpenTelemetry workflow interceptors inside the workflow sandbox.
 * It must be part of the workflow bundle (see `bundleWorkflowCode({ workflowInterceptorModules })`).
 */
export const workflowInterceptorModule: string = require.resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

/**
 * Worker options that continue traces through Temporal: activity spans parented by the
 * context the workflow put in the activity headers, and workflow spans exported through a sink
 * (the sandbox cannot export by itself). Spread into `Worker.create`.
 */
export function temporalWorkerTracing(telemetry: Telemetry): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(telemetry.spanProcessor, telemetry.resource) },
  };
}

/** Client interceptor that puts the active trace context into the headers of Temporal calls. */
export function temporalClientInterceptor(): OpenTelemetryWorkflowClientInterceptor {
  return new OpenTelemetryWorkflowClientInterceptor();
}
