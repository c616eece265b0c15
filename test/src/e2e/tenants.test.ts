/**
 * Platform administration end to end, through the public API and the `switchboard` command (the
 * built bin, as an operator runs it): a second tenant is made with its first admin key, that key
 * works on the tenant routes of the whole stack, tenants do not see each other, the platform key
 * reads no tenant data, and disabling a tenant refuses its keys while the other goes on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

const bin = fileURLToPath(new URL('../../../libs/cli/bin/switchboard.mjs', import.meta.url));
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-tenants-')), { exportSpans: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** Runs the `switchboard` command against the stack with the platform key, as an operator would. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, SWITCHBOARD_API_URL: stack.services.apiUrl, SWITCHBOARD_API_KEY: stack.platformKey };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env, cwd: tmpdir() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const as = (key: string) => ({ authorization: `Bearer ${key}` });

const lookup = {
  name: 'lookup_order',
  description: 'Looks up an order by number',
  parameters: [{ name: 'order_number', type: 'string', required: true }],
  actions: [{ type: 'webhook', endpoint: 'orders', payload: { number: 'params.order_number' }, result_key: 'order' }],
  on_success: [{ type: 'respond', message: 'Order {{params.order_number}} is {{order.status}}.' }],
};

describe('tenants', () => {
  let tenantId: string;
  let adminKey: string;

  it('are created by the CLI with the platform key, with a first admin key shown once', async () => {
    const created = await cli('tenants', 'create', 'Second Co');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    tenantId = /created tenant (ten_[0-9a-f]{24}) 'Second Co'/.exec(created.stdout)?.[1] as string;
    adminKey = /^(sb_key_\S+)$/m.exec(created.stdout)?.[1] as string;
    expect(tenantId).toBeDefined();
    expect(adminKey).toBeDefined();

    const again = await cli('tenants', 'create', 'Second Co');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409: conflict/);

    const list = await cli('tenants', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${tenantId}\\tactive\\t\\S+\\tSecond Co$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${stack.seed.tenantId}\\tactive\\t`, 'm'));
  });

  it("give the new tenant an admin key that works on its tenant's routes, whole stack included", async () => {
    const endpoint = await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders` }, as(adminKey));
    expect(endpoint.status).toBeLessThan(300);
    const agent = await stack.api(
      'PUT',
      '/v1/agents/front-desk',
      { instructions: "Use the 'lookup_order' action.", actions: [lookup] },
      as(adminKey),
    );
    expect(agent.status).toBe(200);
    const conversation = await stack.api('POST', '/v1/conversations', { agent: 'front-desk' }, as(adminKey));
    expect(conversation.status).toBe(201);
    const key = await stack.api('POST', '/v1/api-keys', { name: 'runtime', scopes: ['conversations'] }, as(adminKey));
    expect(key.status).toBe(201);
  });

  it('are isolated from each other', async () => {
    // The seeded tenant sees none of the new one's agent, endpoint or keys, and the reverse.
    expect((await stack.api('GET', '/v1/agents/front-desk')).status).toBe(404);
    expect((await stack.api('GET', '/v1/endpoints/orders')).status).toBe(404);
    const seededKeys = (await stack.api('GET', '/v1/api-keys')).body.keys.map((k: { name: string }) => k.name);
    expect(seededKeys).not.toContain('runtime');
    expect((await stack.api('GET', `/v1/agents/${stack.seed.agentName}`, undefined, as(adminKey))).status).toBe(404);
    expect((await stack.api('POST', '/v1/conversations', { agent: stack.seed.agentName }, as(adminKey))).status).toBe(
      404,
    );
    const theirAgents = (await stack.api('GET', '/v1/agents', undefined, as(adminKey))).body.agents;
    expect(theirAgents.map((a: { name: string }) => a.name)).toEqual(['front-desk']);
  });

  it("are out of the platform key's reach, and platform routes out of tenant keys' reach", async () => {
    for (const path of ['/v1/agents', '/v1/runs', '/v1/api-keys', '/v1/endpoints']) {
      const r = await stack.api('GET', path, undefined, as(stack.platformKey));
      expect(r.status, path).toBe(403);
      expect(r.body.error.code, path).toBe('tenant_key_required');
    }
    for (const key of [adminKey, stack.seed.apiKey]) {
      const r = await stack.api('GET', '/v1/platform/tenants', undefined, as(key));
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('platform_key_required');
    }
  });

  it('are disabled by the CLI: their keys are refused with tenant_disabled, the others go on', async () => {
    const disabled = await cli('tenants', 'disable', tenantId);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toMatch(new RegExp(`tenant ${tenantId} 'Second Co' disabled at \\S+`));

    const refused = await stack.api('GET', '/v1/agents', undefined, as(adminKey));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'tenant_disabled', details: { tenantId } });
    expect((await stack.api('GET', '/v1/agents')).status).toBe(200);

    const list = await cli('tenants', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${tenantId}\\tdisabled \\S+\\t`, 'm'));
    const unknown = await cli('tenants', 'disable', 'ten_000000000000000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404: not_found/);
  });
});
