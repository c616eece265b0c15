import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeclarativeTool } from '@switchboard/actions';
import type { JsonObject } from '@switchboard/common';
import {
  createApiKey,
  createTenant,
  findLatestAction,
  findTenantByName,
  type Queryable,
  saveActionVersion,
  upsertAgent,
  upsertEndpoint,
  verifyApiKey,
} from '@switchboard/db';
import { repoRoot } from './tools.js';

/** What the demo seed created (or found). */
export interface DemoSeed {
  tenantId: string;
  apiKey: string;
  agentName: string;
  agentId: string;
}

/** Reads a demo tool definition shipped in `libs/devstack/demo/`. */
export function demoTool(file: string): JsonObject {
  return JSON.parse(readFileSync(join(repoRoot, 'libs', 'devstack', 'demo', file), 'utf8')) as JsonObject;
}

/**
 * Seeds a `dev` tenant with an API key and the `demo` agent holding the seed's `save_meal`
 * tool, whose `meal_log` endpoint points at the local sink. Idempotent: reuses the tenant and
 * a still-valid `existingKey`, and saves a new tool version only when the definition changed.
 */
export async function seedDemo(
  db: Queryable,
  options: { sinkUrl: string; existingKey?: string; tenantName?: string },
): Promise<DemoSeed> {
  const tenantName = options.tenantName ?? 'dev';
  const tenant = (await findTenantByName(db, tenantName)) ?? (await createTenant(db, tenantName));
  let apiKey = options.existingKey;
  const valid = apiKey ? await verifyApiKey(db, apiKey) : undefined;
  if (!valid || valid.tenantId !== tenant.id) apiKey = (await createApiKey(db, tenant.id, { label: 'dev' })).key;
  const agent = await upsertAgent(
    db,
    tenant.id,
    'demo',
    "You help users log their meals. When the user tells you what they ate, use the 'save_meal' action.",
  );
  await upsertEndpoint(db, {
    tenantId: tenant.id,
    name: 'meal_log',
    url: `${options.sinkUrl}/meal_log`,
    method: 'POST',
    headers: {},
    timeoutMs: 5000,
    // The sink runs on loopback, which tenant endpoints may reach only when allowed explicitly.
    allowPrivate: true,
  });
  const source = demoTool('save_meal.tool.json');
  const canonical = parseDeclarativeTool(source) as unknown as JsonObject;
  const latest = await findLatestAction(db, tenant.id, agent.id, 'save_meal');
  if (!latest || stableJson(latest.canonical) !== stableJson(canonical)) {
    await saveActionVersion(db, tenant.id, agent.id, { name: 'save_meal', format: 'tool', source, canonical });
  }
  return { tenantId: tenant.id, apiKey: apiKey as string, agentName: agent.name, agentId: agent.id };
}

/** JSON with sorted keys: jsonb does not keep key order, so plain stringify cannot compare. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
