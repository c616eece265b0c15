import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type IdGenerator,
  NoopSpanProcessor,
  RandomIdGenerator,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { initMetrics, type Metrics } from './metrics.js';

/** What {@link initTelemetry} set up; pass `resource`/`spanProcessor` to Temporal's plugin. */
export interface Telemetry {
  serviceName: string;
  resource: Resource;
  spanProcessor: SpanProcessor;
  tracer: Tracer;
  /** True when spans are exported (an OTLP endpoint is configured). */
  exporting: boolean;
  /** The process's metrics: `text()` is what `GET /metrics` serves (see metrics.ts). */
  metrics: Metrics;
  /**
   * Records a span that happened elsewhere with the ids it already has (the workflow sandbox
   * cannot export spans; it describes them and the orchestrator records them, see
   * `WorkflowSpan` in @switchboard/chains). Does nothing for a malformed trace or span id.
   */
  recordSpan(span: RecordedSpan): void;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/** A finished span with given ids and times, for {@link Telemetry.recordSpan}. */
export interface RecordedSpan {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits: the id the span gets. */
  spanId: string;
  /** 16 hex digits. */
  parentSpanId: string;
  name: string;
  kind?: SpanKind;
  startMs: number;
  endMs: number;
  attributes?: Record<string, string | number | boolean>;
  /** The span's status is ERROR with this message. */
  error?: string;
}

/**
 * Random ids, except the one span id handed in for the very next span: how a span gets an id
 * chosen before it is recorded. `startSpan` asks for the id synchronously, so nothing can come
 * between setting it and using it.
 */
class PresetIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: string | undefined;
  generateTraceId(): string {
    return this.random.generateTraceId();
  }
  generateSpanId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.random.generateSpanId();
  }
}

const HEX32 = /^(?!0{32})[0-9a-f]{32}$/;
const HEX16 = /^(?!0{16})[0-9a-f]{16}$/;

/**
 * Sets up tracing and metrics for one service process: W3C trace-context propagation,
 * async-local context, and OTLP/HTTP export when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `..._TRACES_ENDPOINT`) is set. Without an endpoint, spans are still created (trace ids reach
 * the audit rows and the logs) but not sent. Metrics: see {@link initMetrics}.
 */
export function initTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const spanProcessor: SpanProcessor = exporting
    ? new BatchSpanProcessor(new OTLPTraceExporter())
    : new NoopSpanProcessor();
  const ids = new PresetIdGenerator();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor], idGenerator: ids });
  provider.register();
  const tracer = trace.getTracer(serviceName);
  const metrics = initMetrics(resource, env);
  return {
    serviceName,
    resource,
    spanProcessor,
    tracer,
    exporting,
    metrics,
    recordSpan(s) {
      if (!HEX32.test(s.traceId) || !HEX16.test(s.spanId) || !HEX16.test(s.parentSpanId)) return;
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: s.traceId,
        spanId: s.parentSpanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
      ids.next = s.spanId;
      let span: Span;
      try {
        span = tracer.startSpan(
          s.name,
          {
            kind: s.kind ?? SpanKind.INTERNAL,
            startTime: s.startMs,
            ...(s.attributes ? { attributes: s.attributes } : {}),
          },
          parent,
        );
      } finally {
        ids.next = undefined;
      }
      if (s.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
      span.end(Math.max(s.startMs, s.endMs));
    },
    shutdown: async () => {
      await Promise.all([provider.shutdown(), metrics.shutdown()]);
    },
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
