import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** What {@link initTelemetry} set up; pass `resource`/`spanProcessor` to Temporal's plugin. */
export interface Telemetry {
  serviceName: string;
  resource: Resource;
  spanProcessor: SpanProcessor;
  tracer: Tracer;
  /** True when spans are exported (an OTLP endpoint is configured). */
  exporting: boolean;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Sets up tracing for one service process: W3C trace-context propagation, async-local context,
 * and OTLP/HTTP export when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set.
 * Without an endpoint, spans are still created (trace ids reach the audit rows) but not sent.
 */
export function initTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const spanProcessor: SpanProcessor = exporting
    ? new BatchSpanProcessor(new OTLPTraceExporter())
    : new NoopSpanProcessor();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    serviceName,
    resource,
    spanProcessor,
    tracer: trace.getTracer(serviceName),
    exporting,
    shutdown: () => provider.shutdown(),
  };
}

/** The W3C headers of the active (or given) context, for NATS headers and message bodies. */
export function currentTraceHeaders(ctx: Context = context.active()): { traceparent: string; tracestate: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return { traceparent: carrier.traceparent ?? '', tracestate: carrier.tracestate ?? '' };
}

/** A context whose parent is the given W3C headers (empty headers give the root context). */
export function contextFromTraceHeaders(traceparent: string | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The trace id inside a `traceparent` header, or '' when malformed. */
export function traceIdOf(traceparent: string): string {
  const parts = traceparent.split('-');
  return parts.length === 4 && parts[1]?.length === 32 ? parts[1] : '';
}

/**
 * Runs `fn` inside a new active span, ending it and recording failures. The span's status is
 * ERROR when `fn` throws; the error is rethrown unchanged.
 */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string | number | boolean> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

export { SpanKind, SpanStatusCode, context, trace, type Span, type Tracer, type Context };
