import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

// Seed 003: "{{user.id}} - User context". A conversation takes a `user` on create (or from a
// voice runtime's call metadata); templates read `{{user.*}}`, expressions and payload paths
// `user.*` / `context.user.*`; the conversation shows it; bad values are refused with pointers.
let stack: TestStack;

const greeter = {
  instructions: "Greet with 'greet', choose the language with 'by_locale', log the user with 'log_user'.",
  actions: [
    {
      name: 'greet',
      description: 'Greets the user by name',
      actions: [],
      on_success: [{ type: 'respond', message: 'Hello {{user.name}} ({{user.id}}), tier {{user.attributes.tier}}.' }],
    },
    {
      name: 'by_locale',
      description: "Greets in the user's language",
      actions: [
        {
          type: 'conditional',
          condition: "user.locale === 'fr-FR' && user.attributes.tier === 'gold'",
          // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
          then: [{ type: 'respond', message: 'Bonjour {{user.name}} !' }],
          else: [{ type: 'respond', message: 'Hello {{user.name}}!' }],
        },
      ],
    },
    {
      name: 'log_user',
      description: 'Sends the user to the log',
      actions: [
        {
          type: 'webhook',
          endpoint: 'user_log',
          payload: { user_id: 'context.user.id', email: 'user.email', zone: 'user.time_zone' },
        },
      ],
    },
  ],
};

const ada = {
  id: 'u_42',
  name: 'Ada',
  email: 'ada@example.com',
  phone: '+14155550123',
  locale: 'fr-FR',
  time_zone: 'Europe/Paris',
  attributes: { tier: 'gold' },
};

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-user-')), { exportSpans: false });
  const endpoint = await stack.api('PUT', '/v1/endpoints/user_log', {
    url: `${stack.sink.url}/user_log`,
    allow_private: true,
  });
  expect(endpoint.status).toBe(200);
  const saved = await stack.api('PUT', '/v1/agents/greeter', greeter);
  expect(saved.body.error).toBeUndefined();
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

beforeEach(() => stack.sink.clear());

const toolCall = (conv: string, name: string) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: {} });

describe('user context', () => {
  it('is taken on create, shown on the conversation, rendered in messages and read by conditions and payloads', async () => {
    const created = await stack.api('POST', '/v1/conversations', { agent: 'greeter', user: ada });
    expect(created.status).toBe(201);
    expect(created.body.user).toEqual(ada);
    const conv = created.body.id as string;
    const view = await stack.api('GET', `/v1/conversations/${conv}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: conv, agent: 'greeter', activeAgent: 'greeter', user: ada });

    expect((await toolCall(conv, 'greet')).body.messages).toEqual(['Hello Ada (u_42), tier gold.']);
    expect((await toolCall(conv, 'by_locale')).body.messages).toEqual(['Bonjour Ada !']);
    const logged = await toolCall(conv, 'log_user');
    expect(logged.body.status).toBe('succeeded');
    expect(
      stack.sink
        .requests()
        .filter((r) => r.path === '/user_log')
        .map((r) => r.body),
    ).toEqual([{ user_id: 'u_42', email: 'ada@example.com', zone: 'Europe/Paris' }]);

    // Another user, another branch; a conversation without one renders empty values.
    const en = await stack.api('POST', '/v1/conversations', {
      agent: 'greeter',
      user: { name: 'Grace', locale: 'en-US' },
    });
    expect((await toolCall(en.body.id, 'by_locale')).body.messages).toEqual(['Hello Grace!']);
    const none = await stack.api('POST', '/v1/conversations', { agent: 'greeter' });
    expect(none.body.user).toEqual({});
    expect((await toolCall(none.body.id, 'greet')).body.messages).toEqual(['Hello  (), tier .']);
  });

  it('refuses a bad user context with a pointer per problem, and creates nothing', async () => {
    const count = async () => Number((await stack.db.query('SELECT count(*) AS n FROM conversations')).rows[0]?.n ?? 0);
    const before = await count();
    const bad = await stack.api('POST', '/v1/conversations', {
      agent: 'greeter',
      user: { email: 'not-an-email', time_zone: 'Mars/Olympus', locale: 'xx-!!', attributes: { 'bad-name': 1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.issues.map((i: { pointer: string }) => i.pointer)).toEqual([
      '/user/email',
      '/user/time_zone',
      '/user/locale',
      '/user/attributes/bad-name',
    ]);
    const unknown = await stack.api('POST', '/v1/conversations', { agent: 'greeter', user: { nickname: 'x' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error.details.issues)).toContain('nickname');
    const big = await stack.api('POST', '/v1/conversations', {
      agent: 'greeter',
      user: { attributes: { blob: 'x'.repeat(9_000) } },
    });
    expect(big.status).toBe(400);
    expect(big.body.error.details.issues).toEqual([
      expect.objectContaining({ pointer: '/user', message: expect.stringContaining('at most 8192') }),
    ]);
    expect(await count()).toBe(before);
  });

  it("comes from a drop-in call's metadata (Retell) and variables (Vapi)", async () => {
    const retell = await stack.api('POST', '/v1/dropin/retell/greeter', {
      name: 'greet',
      args: {},
      call: {
        call_id: 'retell-user-1',
        metadata: { user: { id: 'r_7', name: 'Lin', attributes: { tier: 'silver' } } },
      },
    });
    expect(retell.status).toBe(200);
    expect(retell.body.result).toBe('Hello Lin (r_7), tier silver.');

    const vapi = await stack.api('POST', '/v1/dropin/vapi/greeter', {
      message: {
        type: 'tool-calls',
        toolCallList: [{ id: 'vapi-user-1', type: 'function', function: { name: 'by_locale', arguments: {} } }],
        call: {
          id: 'vapi-user-call',
          assistantOverrides: { variableValues: { user_name: 'Yves', user_locale: 'fr-FR', user_id: 99 } },
          metadata: { user: { attributes: { tier: 'gold' } } },
        },
      },
    });
    expect(vapi.status).toBe(200);
    expect(vapi.body.results[0].result).toBe('Bonjour Yves !');

    const bad = await stack.api('POST', '/v1/dropin/retell/greeter', {
      name: 'greet',
      args: {},
      call: { call_id: 'retell-user-2', metadata: { user: { email: 'nope' } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i: { pointer: string }) => i.pointer)).toEqual([
      '/call/metadata/user/email',
    ]);
  });
});
