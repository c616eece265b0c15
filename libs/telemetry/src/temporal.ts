import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

/**
 * Worker options that continue traces through Temporal: activity spans parented by the context
 * the workflow put in the activity headers (`_tracer-data`). Workflows do not run the
 * OpenTelemetry SDK (see `trace-context.ts` in @switchboard/chains for why); the spans they stand
 * for are recorded by the orchestrator with `Telemetry.recordSpan`. Spread into
 * `Worker.create`.
 */
export function temporalWorkerTracing(): Pick<WorkerOptions, 'interceptors'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
  };
}

/** Client interceptor that puts the active trace context into the headers of Temporal calls. */
export function temporalClientInterceptor(): OpenTelemetryWorkflowClientInterceptor {
  return new OpenTelemetryWorkflowClientInterceptor();
}
