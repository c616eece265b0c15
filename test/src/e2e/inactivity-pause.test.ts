import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

// Issue 16, item 5, through the public API: the caller's explicit inactivity pause (the
// pause_inactivity_timer built-in) holds across later tool calls: the automatic pause and
// resume that wrap every run never send a resume while it holds.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-pause-')), { exportSpans: false });
  const saved = await stack.api('PUT', '/v1/agents/patient', {
    instructions: "When the caller needs time, use 'Give Time'. To take a note, use 'take_note'.",
    actions: [
      {
        type: 'pause_inactivity_timer',
        name: 'Give Time',
        description: 'Gives the caller time to look something up.',
        config: { duration_seconds: 600, message: 'Take your time.' },
      },
      {
        name: 'take_note',
        description: 'Takes a note.',
        parameters: [{ name: 'note', type: 'string', required: true }],
        actions: [{ type: 'context.set', key: 'note', value: 'params.note' }],
        on_success: [{ type: 'respond', message: 'Noted.' }],
      },
    ],
  });
  expect(saved.status).toBe(200);
  expect(saved.body.actions.map((a: { status: string }) => a.status)).toEqual(['configured', 'configured']);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

interface Event {
  kind: string;
  data: { action?: string; automatic?: boolean; payload?: unknown; level?: string; message?: string };
}

/** The call_control events of a tool call, as `action` (`+auto` when automatic). */
function controls(events: Event[]): string[] {
  return events
    .filter((e) => e.kind === 'call_control')
    .map((e) => `${e.data.action}${e.data.automatic ? '+auto' : ''}`);
}

async function call(conversation: string, name: string, args: Record<string, unknown> = {}) {
  const res = await stack.api('POST', `/v1/conversations/${conversation}/tool-calls`, { name, arguments: args });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('succeeded');
  return res.body as { messages: string[]; events: Event[] };
}

describe('an explicit inactivity pause', () => {
  it('is not lifted by the automatic resume of its own run or of later runs of the conversation', async () => {
    // A voice call the API client's runtime controls: channel twilio (a conversation without a
    // call, channel none, refuses call-control steps such as the pause).
    const conv = (await stack.api('POST', '/v1/conversations', { agent: 'patient', channel: 'twilio' })).body
      .id as string;
    // Before any explicit pause, a run is wrapped in an automatic pause and resume.
    expect(controls((await call(conv, 'take_note', { note: 'a' })).events)).toEqual([
      'pause_inactivity+auto',
      'resume_inactivity+auto',
    ]);

    const paused = await call(conv, 'Give Time');
    expect(paused.messages).toEqual(['Take your time.']);
    expect(controls(paused.events)).toEqual(['pause_inactivity+auto', 'pause_inactivity']);
    expect(paused.events.find((e) => e.kind === 'call_control' && !e.data.automatic)?.data.payload).toEqual({
      duration_seconds: 600,
    });
    expect(paused.events.at(-1)).toMatchObject({
      kind: 'log',
      data: { level: 'info', message: 'inactivity timer left paused: an explicit pause holds' },
    });

    // A later action of the same call: paused around it as always, and the pause holds after it.
    const later = await call(conv, 'take_note', { note: 'b' });
    expect(controls(later.events)).toEqual(['pause_inactivity+auto']);

    // Another conversation has its own timer.
    const other = (await stack.api('POST', '/v1/conversations', { agent: 'patient', channel: 'twilio' })).body
      .id as string;
    expect(controls((await call(other, 'take_note', { note: 'c' })).events)).toEqual([
      'pause_inactivity+auto',
      'resume_inactivity+auto',
    ]);
  });
});
