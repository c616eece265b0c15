import { Writable } from 'node:stream';
import { createLogger } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { initTelemetry, withSpan } from './telemetry.js';

// The log lines' join to traces (libs/common's logger), with the real tracing SDK behind it.
const telemetry = initTelemetry('log-fields-test', {});

function capture(): { lines: Record<string, unknown>[]; raw: string[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { lines, raw, stream };
}

describe('log lines', () => {
  it('carry the active span ids and its tenant, conversation and intent', async () => {
    const { lines, stream } = capture();
    const log = createLogger('test', 'info', stream);
    log.info('outside any span');
    const ids = await withSpan(
      telemetry.tracer,
      'work',
      {
        attributes: {
          'switchboard.tenant_id': 'ten_1',
          'switchboard.conversation_id': 'conv_1',
          'switchboard.intent_id': 'int_1',
        },
      },
      async (span) => {
        log.info({ step: 1 }, 'inside');
        return span.spanContext();
      },
    );
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({
      msg: 'inside',
      step: 1,
      trace_id: ids.traceId,
      span_id: ids.spanId,
      tenant: 'ten_1',
      conversation: 'conv_1',
      intent: 'int_1',
    });
  });

  it("leave a logger's own bound trace ids alone (one trace_id key per line)", async () => {
    const { lines, raw, stream } = capture();
    const log = createLogger('test', 'info', stream).child({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    await withSpan(telemetry.tracer, 'other', {}, async () => log.info('bound'));
    expect(lines[0]).toMatchObject({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    expect(raw[0]?.match(/"trace_id"/g)).toHaveLength(1);
  });
});
