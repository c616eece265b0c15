/**
 * Traces read back from a real Jaeger's query API (`/api/traces/:id`), for the tests that follow
 * a request through the services: its spans with their services, its roots, and the assertion
 * that one line of descent runs through given hops.
 */
import { expect } from 'vitest';
import { eventually } from './stack.js';

/** A span of a trace as Jaeger's query API (`/api/traces/:id`) returns it, with its service. */
export interface JaegerSpan {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  service: string;
}

interface JaegerTrace {
  data?: {
    spans: {
      spanID: string;
      operationName: string;
      references?: { refType: string; spanID: string }[];
      processID: string;
      tags?: { key: string; value: unknown }[];
    }[];
    processes: Record<string, { serviceName: string }>;
  }[];
}

/** The trace's spans as Jaeger has them now (empty while it does not know the trace yet). */
export async function jaegerSpans(jaegerUrl: string, traceId: string): Promise<JaegerSpan[]> {
  const res = await fetch(`${jaegerUrl}/api/traces/${traceId}`);
  if (res.status === 404) return [];
  expect(res.status).toBe(200);
  const trace = ((await res.json()) as JaegerTrace).data?.[0];
  if (trace === undefined) return [];
  return trace.spans.map((s) => ({
    spanId: s.spanID,
    parentSpanId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '',
    name: s.operationName,
    kind: String(s.tags?.find((t) => t.key === 'span.kind')?.value ?? ''),
    service: trace.processes[s.processID]?.serviceName ?? '',
  }));
}

/** Spans whose parent is not in the trace: the one root of a whole trace. */
export function rootsOf(spans: readonly JaegerSpan[]): JaegerSpan[] {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => !ids.has(s.parentSpanId));
}

/**
 * Waits (bounded) until Jaeger holds a span for each hop and the trace is one tree (spans are
 * exported as they end, parents after their children), then returns the whole trace.
 */
export async function traceWith(jaegerUrl: string, traceId: string, hops: readonly Hop[]): Promise<JaegerSpan[]> {
  let last: JaegerSpan[] = [];
  try {
    return await eventually(async () => {
      last = await jaegerSpans(jaegerUrl, traceId);
      const complete = hops.every((h) => last.some((s) => matches(s, h))) && rootsOf(last).length === 1;
      return complete ? last : undefined;
    }, 30_000);
  } catch (err) {
    const roots = new Set(rootsOf(last));
    const seen = last.map((s) => `${roots.has(s) ? '(root) ' : ''}${s.service}: ${s.name}`).join('\n  ');
    throw new Error(`trace ${traceId} in Jaeger is not complete; it has:\n  ${seen}`, { cause: err });
  }
}

/** A span a trace must hold: its service, and its name. */
export interface Hop {
  service: string;
  name: RegExp;
}
export const matches = (s: JaegerSpan, h: Hop) => s.service === h.service && h.name.test(s.name);

/**
 * Asserts one unbroken line of descent through the hops: a span of the last hop whose ancestors
 * include, in order, a span of each hop before it.
 */
export function expectChain(spans: readonly JaegerSpan[], hops: readonly Hop[]): void {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const descends = (leaf: JaegerSpan): boolean => {
    let next = hops.length - 1;
    for (let cur: JaegerSpan | undefined = leaf; cur !== undefined && next >= 0; cur = byId.get(cur.parentSpanId)) {
      if (matches(cur, hops[next] as Hop)) next--;
    }
    return next < 0;
  };
  const last = hops[hops.length - 1] as Hop;
  expect(
    spans.filter((s) => matches(s, last)).some(descends),
    hops.map((h) => `${h.service} ${h.name}`).join(' → '),
  ).toBe(true);
}
