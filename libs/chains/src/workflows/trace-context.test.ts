import { describe, expect, it } from 'vitest';
import { childTraceparent, parseTraceparent } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('trace context', () => {
  it('reads trace and span id of a W3C traceparent', () => {
    expect(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01`)).toEqual({ traceId: TRACE, spanId: '00f067aa0ba902b7' });
  });

  it('refuses empty, malformed and all-zero ids', () => {
    for (const bad of [
      undefined,
      '',
      `00-${TRACE}-00f067aa0ba902b7`,
      `01-${TRACE}-00f067aa0ba902b7-01`,
      `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });

  it('makes a sampled child in the same trace, and nothing without a parent', () => {
    expect(childTraceparent(`00-${TRACE}-00f067aa0ba902b7-00`, 'a1b2c3d4e5f60718')).toBe(
      `00-${TRACE}-a1b2c3d4e5f60718-01`,
    );
    expect(childTraceparent('', 'a1b2c3d4e5f60718')).toBeUndefined();
  });
});
