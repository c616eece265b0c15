export {
  type Context,
  context,
  contextFromTraceHeaders,
  currentTraceHeaders,
  initTelemetry,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Telemetry,
  type Tracer,
  trace,
  traceIdOf,
  withSpan,
} from './telemetry.js';
export { temporalClientInterceptor, temporalWorkerTracing, workflowInterceptorModule } from './temporal.js';
