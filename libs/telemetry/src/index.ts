export {
  type Context,
  context,
  contextFromTraceHeaders,
  currentTraceHeaders,
  initTelemetry,
  type RecordedSpan,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Telemetry,
  type Tracer,
  trace,
  traceIdOf,
  withSpan,
} from './telemetry.js';
export { temporalClientInterceptor, temporalWorkerTracing } from './temporal.js';
