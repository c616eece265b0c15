import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

// Issue 15, item 2: an agent that says which voice runtimes it serves learns at save time that
// one of them cannot perform a call-control step (status `error` with the step's pointer and
// the support table's reason), and a call of that action is refused before anything runs.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-runtimes-')), { exportSpans: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const END_CALL = {
  type: 'end_call',
  name: 'End Call',
  description: 'Ends the call.',
  config: { final_message: 'Thanks for calling. Goodbye!' },
};
const NOTE = {
  name: 'note',
  description: 'Notes the mood.',
  actions: [{ type: 'context.set', key: 'mood', value: "'fine'" }],
};
const RETELL_REASON = 'Switchboard does not yet end Retell calls';

const putAgent = (name: string, extra: Record<string, unknown>) =>
  stack.api('PUT', `/v1/agents/${name}`, { instructions: 'Ends calls.', actions: [END_CALL, NOTE], ...extra });

describe('an agent serving Retell', () => {
  it('sees its end_call action as error at save, with the step and the reason, and GET says so too', async () => {
    const saved = await putAgent('retell-desk', { runtimes: ['retell'] });
    expect(saved.status).toBe(200);
    const [endCall, note] = saved.body.actions;
    expect(endCall).toMatchObject({ name: 'End Call', status: 'error' });
    expect(endCall.problems).toEqual([
      {
        pointer: '/steps/0',
        message: expect.stringContaining(RETELL_REASON),
      },
    ]);
    expect(endCall.problems[0].message).toContain('cannot end the call on a retell call');
    // An action without call control is not affected.
    expect(note).toMatchObject({ name: 'note', status: 'configured', problems: [] });

    const read = await stack.api('GET', '/v1/agents/retell-desk');
    expect(read.status).toBe(200);
    expect(read.body.runtimes).toEqual(['retell']);
    expect(read.body.actions).toEqual(saved.body.actions);
  });

  it('answers 409 action_not_configured when the action is called, and runs nothing', async () => {
    await putAgent('retell-desk', { runtimes: ['retell'] });
    const conv = await stack.api('POST', '/v1/conversations', { agent: 'retell-desk' });
    expect(conv.status).toBe(201);
    const res = await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name: 'End Call' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'action_not_configured',
      retryable: false,
      details: {
        action: 'End Call',
        status: 'error',
        problems: [{ pointer: '/steps/0', message: expect.stringContaining(RETELL_REASON) }],
      },
    });
    const runs = await stack.api('GET', `/v1/conversations/${conv.body.id}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body.runs).toEqual([]);
    // The other action still runs.
    const note = await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name: 'note' });
    expect(note.status).toBe(200);
    expect(note.body.status).toBe('succeeded');
  });
});

describe('runtimes that can end calls, or none given', () => {
  it('keeps end_call configured for Vapi and Twilio', async () => {
    const saved = await putAgent('phone-desk', { runtimes: ['vapi', 'twilio'] });
    expect(saved.status).toBe(200);
    expect(saved.body.actions[0]).toMatchObject({ name: 'End Call', status: 'configured', problems: [] });
    expect((await stack.api('GET', '/v1/agents/phone-desk')).body.runtimes).toEqual(['vapi', 'twilio']);
  });

  it('leaves the check to each call when runtimes is absent, and a PUT without it clears it', async () => {
    expect((await putAgent('any-desk', { runtimes: ['retell'] })).body.actions[0].status).toBe('error');
    const saved = await putAgent('any-desk', {});
    expect(saved.status).toBe(200);
    expect(saved.body.actions[0]).toMatchObject({ status: 'configured', problems: [] });
    const read = await stack.api('GET', '/v1/agents/any-desk');
    expect(read.body.runtimes).toBeUndefined();
    expect(read.body.actions[0].status).toBe('configured');
  });

  it('refuses unknown, repeated or empty runtimes with validation_failed', async () => {
    for (const runtimes of [['none'], ['retell', 'retell'], [], 'retell']) {
      const res = await putAgent('bad-desk', { runtimes });
      expect(res.status, JSON.stringify(runtimes)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await stack.api('GET', '/v1/agents/bad-desk')).status).toBe(404);
  });
});
