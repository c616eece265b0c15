import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-agents-')), {
    exportSpans: false,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const lookup = {
  name: 'lookup_order',
  description: 'Looks up an order by number',
  parameters: [{ name: 'order_number', type: 'string', required: true }],
  actions: [{ type: 'webhook', endpoint: 'orders', payload: { number: 'params.order_number' }, result_key: 'order' }],
  on_success: [{ type: 'respond', message: 'Order {{params.order_number}} is {{order.status}}.' }],
};

const book = {
  type: 'calcom_book',
  name: 'Book Consultation',
  description: 'Books a consultation in Cal.com for the caller.',
  config: { credential: 'calcom_main', event_type_id: 1001, time_zone: 'America/New_York' },
};

const instructions =
  "When the caller asks about an order, use the 'lookup_order' action. To book, use the 'Book Consultation' action.";

describe('agents API', () => {
  it('rejects an agent with several mistakes, listing each with its pointer, and saves nothing', async () => {
    const res = await stack.api('PUT', '/v1/agents/front-desk', {
      instructions: "Use the 'lookup_ordr' action. {% if contact.vip %}",
      actions: [
        { ...lookup, actions: [{ type: 'webhok', endpoint: 'orders' }] },
        { ...book, config: { ...book.config, time_zone: 'EST', event_type_id: 'x' } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const pointers = res.body.error.details.issues.map((i: { pointer: string }) => i.pointer);
    expect(pointers).toContain('/actions/0/actions/0/type');
    expect(pointers.some((p: string) => p.startsWith('/actions/1/config/time_zone'))).toBe(true);
    expect(pointers.some((p: string) => p.startsWith('/actions/1/config/event_type_id'))).toBe(true);
    expect(pointers).toContain('/instructions');
    expect((await stack.api('GET', '/v1/agents/front-desk')).status).toBe(404);
  });

  it('saves a valid agent and reports each action status as the seed describes', async () => {
    const saved = await stack.api('PUT', '/v1/agents/front-desk', { instructions, actions: [lookup, book] });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(1);
    const byName = Object.fromEntries(saved.body.actions.map((a: { name: string }) => [a.name, a]));
    expect(byName.lookup_order.status).toBe('incomplete');
    expect(JSON.stringify(byName.lookup_order.problems)).toContain('orders');
    expect(byName['Book Consultation'].status).toBe('configured');
    expect(saved.body.lint.filter((l: { severity: string }) => l.severity === 'error')).toEqual([]);

    await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
    const read = await stack.api('GET', '/v1/agents/front-desk');
    const statuses = Object.fromEntries(
      read.body.actions.map((a: { name: string; status: string }) => [a.name, a.status]),
    );
    expect(statuses).toEqual({ lookup_order: 'configured', 'Book Consultation': 'configured' });

    // A worker recorded that Cal.com refused the key: the action turns Error with the reason.
    await stack.db.query(
      `UPDATE credentials SET status = 'auth_failed', status_reason = 'calcom answered 401: invalid API key' WHERE tenant_id = $1 AND name = 'calcom_main'`,
      [stack.seed.tenantId],
    );
    const failed = await stack.api('GET', '/v1/agents/front-desk');
    const bookStatus = failed.body.actions.find((a: { name: string }) => a.name === 'Book Consultation');
    expect(bookStatus.status).toBe('error');
    expect(JSON.stringify(bookStatus.problems)).toContain('invalid API key');
    await stack.db.query(`UPDATE credentials SET status = 'ok' WHERE tenant_id = $1 AND name = 'calcom_main'`, [
      stack.seed.tenantId,
    ]);
  });

  it('stores credentials write-only', async () => {
    const secret = 'pat-na1-11111111-2222-3333-4444-555555555555';
    const put = await stack.api('PUT', '/v1/credentials/hubspot_sales', {
      provider: 'hubspot',
      secret: { accessToken: secret },
    });
    expect(put.status).toBe(200);
    const list = await stack.api('GET', '/v1/credentials');
    expect(list.body.credentials.map((c: { name: string }) => c.name)).toContain('hubspot_sales');
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const { rows } = await stack.db.query('SELECT ciphertext FROM credentials WHERE name = $1', ['hubspot_sales']);
    expect(rows[0].ciphertext.toString('utf8')).not.toContain(secret);
    const bad = await stack.api('PUT', '/v1/credentials/tw', { provider: 'twilio', secret: { accountSid: 'AC1' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].pointer).toBe('/secret/authToken');
  });

  it('versions agents: tool calls use the published version, and rollback is a publish', async () => {
    await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
    const v1 = { ...lookup, on_success: [{ type: 'respond', message: 'v1 says {{params.order_number}}' }] };
    const v2 = { ...lookup, on_success: [{ type: 'respond', message: 'v2 says {{params.order_number}}' }] };
    await stack.api('PUT', '/v1/agents/versioned', { instructions: '', actions: [v1] });
    const second = await stack.api('PUT', '/v1/agents/versioned', { instructions: '', actions: [v2] });
    expect(second.body.version).toBe(2);
    const conv = (await stack.api('POST', '/v1/conversations', { agent: 'versioned' })).body.id;
    const call = async () =>
      (
        await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
          name: 'lookup_order',
          arguments: { order_number: 'A1' },
        })
      ).body.messages;
    expect(await call()).toEqual(['v2 says A1']);
    expect((await stack.api('POST', '/v1/agents/versioned/publish', { version: 1 })).status).toBe(200);
    expect(await call()).toEqual(['v1 says A1']);
    const read = await stack.api('GET', '/v1/agents/versioned');
    expect(read.body.versions.map((v: { version: number; published: boolean }) => [v.version, v.published])).toEqual([
      [2, false],
      [1, true],
    ]);
    expect((await stack.api('POST', '/v1/agents/versioned/publish', { version: 9 })).status).toBe(404);
  });

  it('refuses to publish instructions with lint errors (422, every error located), unless forced', async () => {
    const tool = (name: string) => ({
      name,
      description: `Logs a meal (${name}).`,
      parameters: [],
      actions: [{ type: 'respond', message: `${name} done` }],
    });
    const actions = [tool('log_typed'), tool('confirm_me')];
    // The issue's report: a list of names; the last one is configured nowhere.
    const instructions = "Use 'log_typed' and 'confirm_me'.\nWhen busy, use 'log_typed', 'confirm_me' or 'slow_one'.";
    const refused = await stack.api('PUT', '/v1/agents/meal-desk', { instructions, actions });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'instructions_lint_failed', retryable: false });
    expect(refused.body.error.message).toContain('"force": true');
    expect(refused.body.error.details.issues).toEqual([
      {
        pointer: '/instructions',
        severity: 'error',
        code: 'unknown_action',
        line: 2,
        column: 46,
        name: 'slow_one',
        message:
          "unknown action 'slow_one': no configured action has this name; configured actions: 'log_typed', 'confirm_me'",
      },
    ]);
    expect((await stack.api('GET', '/v1/agents/meal-desk')).status).toBe(404);

    // Warnings never block: an action the instructions never mention is saved and published.
    const warned = await stack.api('PUT', '/v1/agents/meal-desk', { instructions: "Use 'log_typed'.", actions });
    expect(warned.status).toBe(200);
    expect(warned.body.published).toBe(true);
    expect(warned.body.lint).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'unused_action', name: 'confirm_me' }),
    ]);

    const forced = await stack.api('PUT', '/v1/agents/meal-desk', { instructions, actions, force: true });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ version: 2, published: true });
    // confirm_me is mentioned in the list: only slow_one is reported, and nothing as unused.
    expect(forced.body.lint.map((l: { code: string; name: string }) => [l.code, l.name])).toEqual([
      ['unknown_action', 'slow_one'],
    ]);
    const conv = (await stack.api('POST', '/v1/conversations', { agent: 'meal-desk' })).body.id;
    const call = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'confirm_me', arguments: {} });
    expect(call.body).toMatchObject({ status: 'succeeded', messages: ['confirm_me done'] });
  });

  it('saves a draft with lint errors, and refuses to publish it (or a topic with errors) unless forced', async () => {
    const tool = (name: string) => ({
      name,
      description: `Handles ${name}.`,
      parameters: [],
      actions: [{ type: 'respond', message: `${name} done` }],
    });
    const draft = await stack.api('PUT', '/v1/agents/refund-desk?publish=false', {
      instructions: "Use 'greet'.",
      actions: [tool('greet')],
      topics: [
        {
          name: 'refunds',
          description: 'Refund requests',
          instructions: 'Use **refund_now** or *Refund_Now*, then the `notify_customer` tool.',
          actions: [tool('refund_now')],
        },
      ],
    });
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({ version: 1, published: false });
    expect(draft.body.topics[0].lint.map((l: { code: string; name: string }) => [l.code, l.name])).toEqual([
      ['case_mismatch', 'Refund_Now'],
      ['unknown_action', 'notify_customer'],
    ]);
    const refused = await stack.api('POST', '/v1/agents/refund-desk/publish', { version: 1 });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('instructions_lint_failed');
    expect(
      refused.body.error.details.issues.map((i: { pointer: string; line: number; column: number; code: string }) => [
        i.pointer,
        i.line,
        i.column,
        i.code,
      ]),
    ).toEqual([
      ['/topics/0/instructions', 1, 24, 'case_mismatch'],
      ['/topics/0/instructions', 1, 47, 'unknown_action'],
    ]);
    expect((await stack.api('GET', '/v1/agents/refund-desk')).body.versions).toEqual([
      expect.objectContaining({ version: 1, published: false }),
    ]);
    const forced = await stack.api('POST', '/v1/agents/refund-desk/publish', { version: 1, force: true });
    expect(forced.status).toBe(200);
    expect((await stack.api('GET', '/v1/agents/refund-desk')).body.versions).toEqual([
      expect.objectContaining({ version: 1, published: true }),
    ]);
  });

  it('serves its OpenAPI document', async () => {
    const res = await fetch(`${stack.services.apiUrl}/docs/json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/agents/{name}', '/v1/conversations/{id}/tool-calls', '/v1/credentials/{name}']),
    );
  });
});
