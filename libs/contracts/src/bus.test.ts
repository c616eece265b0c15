import { checkJson, JSON_MAX_DEPTH, type JsonValue } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { laneToken, Subjects } from './bus.js';
import {
  ActionIntentSchema,
  ActionResultSchema,
  ActionStatus,
  create,
  decodeIntent,
  decodeResult,
  encodeIntent,
  encodeResult,
  timestampFromMs,
} from './index.js';

describe('subjects', () => {
  it('put conversations and intents into single tokens under the stream wildcards', () => {
    expect(Subjects.intent('ten_1', 'conv_2')).toBe('sb.intent.ten_1.conv_2');
    expect(Subjects.result('conv_2', 'int_3')).toBe('sb.conv.conv_2.result.int_3');
    expect(Subjects.event('conv_2', 'int_3').startsWith('sb.conv.conv_2.')).toBe(true);
    expect(Subjects.conversation('conv_2')).toBe('sb.conv.conv_2.>');
  });

  it('refuse ids that would change the subject structure', () => {
    for (const bad of ['a.b', 'a*', '>', 'a b', '', 'a\n']) {
      expect(() => Subjects.intent(bad, 'conv_1')).toThrow(/cannot be used in a NATS subject/);
    }
  });
});

describe('inbound subjects', () => {
  it('carry the lane as one token, the same for the same lane, whatever characters it has', () => {
    const lanes = ['+15551230001', '+15551230002', 'whatsapp:+1555 123.*>', 'CA0123456789abcdef', ''];
    const tokens = lanes.map(laneToken);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(tokens).size).toBe(lanes.length);
    expect(laneToken('+15551230001')).toBe(tokens[0]);
    const subject = Subjects.inbound('ten_1', 'sms', 'whatsapp:+1555 123.*>');
    expect(subject).toBe(`sb.inbound.ten_1.sms.${tokens[2]}`);
    // Five tokens: what the stream's transform (`sb.inbound.*.*.*`) partitions.
    expect(subject.split('.')).toHaveLength(5);
  });
});

describe('codec', () => {
  it('round-trips an intent with JSON arguments and trace context', () => {
    const intent = create(ActionIntentSchema, {
      intentId: 'int_1',
      tenantId: 'ten_1',
      conversationId: 'conv_1',
      actionName: 'save_meal',
      arguments: { meal_type: 'lunch', dishes: ['soup'], n: 2, ok: true, none: null },
      createdAt: timestampFromMs(1_700_000_000_123),
      trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: '' },
    });
    const back = decodeIntent(encodeIntent(intent));
    expect(back.arguments).toEqual({ meal_type: 'lunch', dishes: ['soup'], n: 2, ok: true, none: null });
    expect(back.trace?.traceparent).toBe(intent.trace?.traceparent);
    expect(Number(back.createdAt?.seconds)).toBe(1_700_000_000);
  });

  it('round-trips a result', () => {
    const result = create(ActionResultSchema, {
      intentId: 'int_1',
      status: ActionStatus.FAILED,
      messages: ['Sorry'],
      error: { code: 'webhook_rejected', message: 'no', retryable: false, step: '/actions/1' },
    });
    expect(decodeResult(encodeResult(result)).error?.code).toBe('webhook_rejected');
  });
});

describe('intent subjects parsed back', () => {
  it('name the tenant and conversation of an intent subject, and nothing else', () => {
    expect(Subjects.parseIntent(Subjects.intent('ten_1', 'conv_2'))).toEqual({
      tenantId: 'ten_1',
      conversationId: 'conv_2',
    });
    // As the intents stream stores it, with the partition its subject transform inserted.
    expect(Subjects.parseIntent('sb.intent.3.ten_1.conv_2')).toEqual({ tenantId: 'ten_1', conversationId: 'conv_2' });
    for (const other of [
      'sb.intent.ten_1',
      'sb.intent.ten_1.conv_2.x',
      'sb.intent.x3.ten_1.conv_2',
      'sb.intent.3.ten_1.conv_2.x',
      'sb.conv.conv_2.result.int_3',
      'x.intent.a.b',
      '',
    ]) {
      expect(Subjects.parseIntent(other)).toBeUndefined();
    }
  });
});

/** A JSON object `depth` levels deep (itself level 1), ending in arrays or objects. */
function deepObject(depth: number, kind: 'array' | 'object'): { [k: string]: JsonValue } {
  let v: JsonValue = 'leaf';
  for (let i = 1; i < depth; i++) v = kind === 'array' ? [v, 1] : { a: v, n: 1 };
  return { a: v };
}

describe('JSON at the API limit on the bus', () => {
  it('decodes an intent whose arguments, action and call context each nest JSON_MAX_DEPTH levels', () => {
    for (const kind of ['array', 'object'] as const) {
      const deepest = deepObject(JSON_MAX_DEPTH, kind);
      expect(checkJson(deepest)).toEqual([]);
      const intent = create(ActionIntentSchema, {
        intentId: 'int_1',
        arguments: deepest,
        action: deepest,
        callContext: deepest,
      });
      const back = decodeIntent(encodeIntent(intent));
      expect([back.arguments, back.action, back.callContext]).toEqual([deepest, deepest, deepest]);
    }
  });

  it('decodes results whose outputs and event data nest JSON_MAX_DEPTH levels', () => {
    const deepest = deepObject(JSON_MAX_DEPTH, 'object');
    const result = create(ActionResultSchema, {
      intentId: 'int_1',
      outputs: deepest,
      events: [{ intentId: 'int_1', data: deepest }],
    });
    const back = decodeResult(encodeResult(result));
    expect([back.outputs, back.events[0]?.data]).toEqual([deepest, deepest]);
  });

  it('needs the limit: arguments 50 levels deep encode but can never be decoded', () => {
    const intent = create(ActionIntentSchema, { intentId: 'int_1', arguments: deepObject(50, 'object') });
    expect(() => decodeIntent(encodeIntent(intent))).toThrow(/maximum recursion depth/);
  });
});
