import { Writable } from 'node:stream';
import type { ProviderCall } from '@switchboard/chains';
import { createLogger } from '@switchboard/common';
import { initTelemetry, withSpan } from '@switchboard/telemetry';
import { describe, expect, it } from 'vitest';
import { withCallIdentity } from './call-identity.js';

const telemetry = initTelemetry('call-identity-test', {});

describe('withCallIdentity', () => {
  it("makes every line an activity logs carry its call's tenant, conversation and intent, and its span's ids", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger(
      'test',
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      }),
    );
    const activities = withCallIdentity({
      'calcom.book': async () => {
        log.info('booking');
        return null;
      },
    });
    const call: ProviderCall = {
      tenantId: 'ten_1',
      conversationId: 'conv_1',
      intentId: 'int_1',
      stepPointer: '/actions/0',
      operation: 'calcom.book',
      payload: {},
      sandbox: false,
    };
    // The activity span the Temporal interceptor makes active, stood in for by a plain one.
    const span = await withSpan(telemetry.tracer, 'RunActivity:calcom.book', {}, async (s) => {
      await activities['calcom.book']?.(call);
      return s.spanContext();
    });
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'booking',
        trace_id: span.traceId,
        span_id: span.spanId,
        tenant: 'ten_1',
        conversation: 'conv_1',
        intent: 'int_1',
      }),
    ]);
  });
});
