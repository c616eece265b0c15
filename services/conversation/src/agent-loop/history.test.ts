import { type CanonicalAction, parseAnyAction } from '@switchboard/actions';
import type { TranscriptEntry, TranscriptToolCall } from '@switchboard/db';
import { describe, expect, it } from 'vitest';
import { historyFromTranscript } from './history.js';

const action = (doc: unknown): CanonicalAction => parseAnyAction(doc).action;
const lookup = action({
  name: 'Lookup Order',
  description: 'Looks up an order.',
  parameters: [{ name: 'order', type: 'string', required: true }],
  actions: [{ type: 'webhook', endpoint: 'orders', payload: { order: 'params.order' } }],
});
const place = action({
  name: 'place_order',
  description: 'Places an order.',
  target: 'webhook://orders',
  outputs: { ok: { type: 'boolean' }, ref: { type: 'string', filter_from_agent: true } },
  require_user_confirmation: true,
});
const hours = action({ name: 'check_hours', description: 'Hours.', target: 'webhook://hours', run: 'every_turn' });
const ACTIONS = [lookup, place, hours];

const at = new Date(0);
const tool = (id: string, name: string, extra: Partial<TranscriptToolCall> = {}): TranscriptToolCall => ({
  id,
  name,
  arguments: {},
  status: 'succeeded',
  messages: [],
  error: null,
  agent: null,
  handoff: null,
  ...extra,
});
let seq = 0;
const said = (role: 'user' | 'assistant', text: string): TranscriptEntry => ({
  seq: ++seq,
  kind: 'message',
  role,
  text,
  at,
});
const made = (t: TranscriptToolCall): TranscriptEntry => ({ seq: ++seq, kind: 'tool_call', toolCall: t, at });
const done = (t: TranscriptToolCall): TranscriptEntry => ({ seq: ++seq, kind: 'tool_result', toolCall: t, at });

describe('historyFromTranscript', () => {
  it('answers each tool call right after it, by the tool name the model knows, without hidden outputs', () => {
    const call = tool('int_1', 'Lookup Order', { arguments: { order: 'A1' }, messages: ['Found order A1.'] });
    const history = historyFromTranscript(
      [said('user', 'Where is A1?'), made(call), done(call), said('assistant', 'It is on its way.')],
      new Map([['int_1', {}]]),
      ACTIONS,
    );
    expect(history).toEqual([
      { role: 'user', content: 'Where is A1?' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'int_1', name: 'lookup_order', arguments: '{"order":"A1"}' }],
      },
      { role: 'tool', toolCallId: 'int_1', content: '{"status":"succeeded","messages":["Found order A1."]}' },
      { role: 'assistant', content: 'It is on its way.' },
    ]);
  });

  it('replays a result that came later (a confirmation) where it arrived, and leaves out deterministic runs', () => {
    const waiting = tool('int_2', 'place_order', { arguments: { item: 'tea' } });
    const hoursRun = tool('int_3', 'check_hours');
    const history = historyFromTranscript(
      [
        made(hoursRun),
        done(hoursRun),
        said('user', 'Order tea'),
        made(waiting),
        said('assistant', 'Shall I order tea?'),
        said('user', 'yes'),
        done(waiting),
        said('assistant', 'Ordered.'),
      ],
      new Map([['int_2', { ok: true, ref: 'hidden-ref' }]]),
      ACTIONS,
    );
    expect(history.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(history[2]).toMatchObject({ toolCallId: 'int_2', content: expect.stringContaining('"started"') });
    expect(history[5]).toMatchObject({ toolCalls: [{ id: 'int_2_result', name: 'place_order' }] });
    expect(history[6]).toEqual({
      role: 'tool',
      toolCallId: 'int_2_result',
      content: '{"status":"succeeded","outputs":{"ok":true}}',
    });
    expect(JSON.stringify(history)).not.toContain('check_hours');
  });
});
