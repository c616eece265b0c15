import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

// Issue 16, items 10 and 3, through the public API: typed outputs after an effect (an output of
// the wrong type never turns a run whose webhook fired into `failed`), and actions that cannot
// run (a target this runtime does not resolve is refused at save; an action that is not
// Configured is refused at call time with `action_not_configured`, and nothing runs).
let stack: TestStack;
let api: Server;
let apiUrl: string;
/** Bodies the local API received, in order. */
const received: unknown[] = [];

beforeAll(async () => {
  // A records API that numbers its records and answers a field of the wrong type.
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 42, total: 'lots' }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-readiness-')), { exportSpans: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => api.close(() => resolve()));
}, 60_000);

async function conversationOf(agent: string): Promise<string> {
  const conv = await stack.api('POST', '/v1/conversations', { agent });
  expect(conv.status).toBe(201);
  return conv.body.id as string;
}

describe('typed outputs after an effect', () => {
  it('takes a numeric id and leaves out an output of the wrong type with a warning; the run succeeded', async () => {
    expect(
      (await stack.api('PUT', '/v1/endpoints/records', { url: `${apiUrl}/records`, allow_private: true })).status,
    ).toBe(200);
    const saved = await stack.api('PUT', '/v1/agents/records-desk', {
      instructions: "Use 'log_meal' to log a meal.",
      actions: [
        {
          name: 'log_meal',
          description: 'Logs a meal',
          target: 'webhook://records',
          inputs: { meal: { type: 'string', description: 'The meal', is_required: true } },
          outputs: {
            meal_id: { type: 'id', description: 'Stored meal', developer_name: 'id' },
            total_calories: { type: 'number', description: 'Calories', developer_name: 'total' },
          },
        },
      ],
    });
    expect(saved.status).toBe(200);
    expect(saved.body.actions[0].status).toBe('configured');

    const conv = await conversationOf('records-desk');
    const before = received.length;
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'log_meal',
      arguments: { meal: 'soup' },
    });
    expect(res.status).toBe(200);
    // The webhook fired once, so the outcome says so: succeeded, not failed with invalid_output.
    expect(received.slice(before)).toEqual([{ meal: 'soup' }]);
    expect(res.body.status).toBe('succeeded');
    expect(res.body.error).toBeUndefined();
    expect(res.body.outputs).toEqual({ meal_id: 42 });
    const warnings = res.body.events.filter((e: { kind: string; data: { level?: string } }) => e.kind === 'log');
    expect(warnings).toEqual([
      expect.objectContaining({
        kind: 'log',
        data: {
          level: 'warn',
          message: "output 'total_calories' left out: expected number",
          data: {
            code: 'invalid_output',
            output: 'total_calories',
            pointer: '/outputs/total_calories',
            result_pointer: '/total',
          },
        },
      }),
    ]);

    // The stored run says the same.
    const run = await stack.api('GET', `/v1/runs/${res.body.id}`);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('succeeded');
  });
});

describe('actions that cannot run', () => {
  it('refuses tool:// and workflow:// targets at save, each with its pointer, and saves nothing', async () => {
    const res = await stack.api('PUT', '/v1/agents/unrunnable', {
      instructions: "Use 'lookup_customer' and 'check_hours'.",
      actions: [
        { name: 'lookup_customer', description: 'Looks up the caller', target: 'tool://find_contact' },
        { name: 'check_hours', description: 'Checks opening hours', target: 'workflow://business_hours' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const issues = res.body.error.details.issues as { pointer: string; message: string }[];
    expect(issues.map((i) => i.pointer)).toEqual(['/actions/0/target', '/actions/1/target']);
    expect(issues[0]?.message).toContain("target 'tool://find_contact' cannot run here");
    expect(issues[1]?.message).toContain("target 'workflow://business_hours' cannot run here");
    expect((await stack.api('GET', '/v1/agents/unrunnable')).status).toBe(404);
  });

  it('answers action_not_configured for an Incomplete or Error action, naming what is missing, and runs nothing', async () => {
    const saved = await stack.api('PUT', '/v1/agents/half-set-up', {
      instructions: "Use 'save_note' to save a note and 'Book Visit' to book.",
      actions: [
        {
          name: 'save_note',
          description: 'Saves a note',
          target: 'webhook://notes_api',
          inputs: { note: { type: 'string', description: 'The note', is_required: true } },
        },
        {
          type: 'calcom_book',
          name: 'Book Visit',
          description: 'Books a visit',
          config: { credential: 'records_key', event_type_id: 1001, time_zone: 'Europe/Paris' },
        },
      ],
    });
    expect(saved.status).toBe(200);
    const statuses = Object.fromEntries(
      saved.body.actions.map((a: { name: string; status: string }) => [a.name, a.status]),
    );
    expect(statuses).toEqual({ save_note: 'incomplete', 'Book Visit': 'incomplete' });
    // A credential of another provider: Book Visit turns Error.
    const credential = await stack.api('PUT', '/v1/credentials/records_key', {
      provider: 'openai',
      secret: { apiKey: 'sk-test-readiness' },
    });
    expect(credential.status).toBe(200);

    const conv = await conversationOf('half-set-up');
    const runsBefore = await stack.api('GET', `/v1/conversations/${conv}/runs`);
    const incomplete = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_note',
      arguments: { note: 'hi' },
    });
    expect(incomplete.status).toBe(409);
    expect(incomplete.body.error).toMatchObject({
      code: 'action_not_configured',
      retryable: false,
      details: {
        action: 'save_note',
        status: 'incomplete',
        problems: [{ pointer: '/target', message: expect.stringContaining("webhook endpoint 'notes_api'") }],
      },
    });
    expect(incomplete.body.error.message).toContain("action 'save_note' is incomplete");

    const error = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'Book Visit' });
    expect(error.status).toBe(409);
    expect(error.body.error).toMatchObject({
      code: 'action_not_configured',
      details: { action: 'Book Visit', status: 'error' },
    });
    expect(error.body.error.message).toContain("'records_key' is a openai credential, not calcom");
    // Nothing was accepted: no run of either call.
    const runsAfter = await stack.api('GET', `/v1/conversations/${conv}/runs`);
    expect(runsAfter.body.runs).toEqual(runsBefore.body.runs);

    // Once the endpoint exists the same call runs.
    await stack.api('PUT', '/v1/endpoints/notes_api', { url: `${apiUrl}/notes`, allow_private: true });
    const ran = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_note',
      arguments: { note: 'hi' },
    });
    expect(ran.status).toBe(200);
    expect(ran.body.status).toBe('succeeded');
  });
});
