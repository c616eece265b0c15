import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

// crm.note was added by its spec, the CRM worker and the HubSpot sandbox only: a typed action
// targeting it runs through the whole stack (the session finds its worker's queue in the spec).
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-note-')), { exportSpans: false });
  const saved = await stack.api('PUT', '/v1/agents/note-desk', {
    instructions: "Log what the caller asks for with 'log_note'.",
    actions: [
      {
        name: 'log_note',
        description: "Logs a note on the caller's CRM timeline.",
        target: 'provider://crm.note',
        inputs: {
          credential: { type: 'string', is_required: true },
          body: { type: 'string', is_required: true },
        },
        outputs: { note_id: { type: 'string' } },
      },
    ],
  });
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe('a provider operation added by its spec, worker and sandbox only', () => {
  it('logs a HubSpot note from a tool call, once per idempotency key', async () => {
    const conv = await stack.api('POST', '/v1/conversations', { agent: 'note-desk' });
    expect(conv.status).toBe(201);
    const call = () =>
      stack.api(
        'POST',
        `/v1/conversations/${conv.body.id}/tool-calls`,
        { name: 'log_note', arguments: { credential: 'hubspot_main', body: 'Asked for a callback on Monday' } },
        { 'idempotency-key': 'note-1' },
      );
    const first = await call();
    expect(first.body).toMatchObject({ status: 'succeeded', outputs: { note_id: expect.stringMatching(/^\d+$/) } });
    expect((await call()).body.outputs).toEqual(first.body.outputs);
    const notes = stack.sandboxes.hubspot.state().notes ?? [];
    expect(notes.map((n) => n.id)).toEqual([first.body.outputs.note_id]);
    expect(notes[0]?.properties.hs_note_body).toMatch(/^Asked for a callback on Monday\n\nSwitchboard reference: /);
  });
});
