import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAgentDefinition, lintErrors } from '@switchboard/agents';
import type { JsonObject } from '@switchboard/common';
import {
  type CredentialProvider,
  type CredentialSecret,
  createApiKey,
  createTenant,
  findAgentByName,
  findTenantByName,
  type Keyring,
  listAgentActions,
  putCredential,
  type Queryable,
  saveAgentVersion,
  stableJson,
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
 * The example agents shipped in `libs/devstack/agents/<name>.agent.json`: the voice seed's
 * customer-support, appointment-booking and sales-qualification workflows.
 */
export const EXAMPLE_AGENTS = ['support', 'booking', 'sales'] as const;
/** One of {@link EXAMPLE_AGENTS}. */
export type ExampleAgentName = (typeof EXAMPLE_AGENTS)[number];

/**
 * An example agent file: the body of `PUT /v1/agents/:name` (`instructions`, `actions` inline,
 * in any of the three formats) plus its `name` and a `description` for people. The same file
 * works with `npx switchboard validate | lint-instructions | export`.
 */
export interface ExampleAgent {
  name: ExampleAgentName;
  description: string;
  instructions: string;
  actions: JsonObject[];
}

/** Webhook endpoints the example agents call, as paths on the dev stack's sink. */
const EXAMPLE_ENDPOINTS = [
  // The booking agent's 'Request Callback' tool: the scheduling team's callback queue.
  { name: 'callback_requests', path: '/callback_requests' },
] as const;

/** Reads an example agent shipped in `libs/devstack/agents/`. */
export function exampleAgent(name: ExampleAgentName): ExampleAgent {
  const file = join(repoRoot, 'libs', 'devstack', 'agents', `${name}.agent.json`);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<ExampleAgent>;
  if (doc.name !== name || typeof doc.instructions !== 'string' || !Array.isArray(doc.actions)) {
    throw new Error(`${file} is not an agent file named '${name}' with instructions and actions`);
  }
  return { name, description: doc.description ?? '', instructions: doc.instructions, actions: doc.actions };
}

/**
 * Seeds a `dev` tenant with an API key and the `demo` agent holding the seed's `save_meal`
 * tool, whose `meal_log` endpoint points at the local sink; the `receptionist` agent; and the
 * {@link EXAMPLE_AGENTS} with the endpoints they call (on the sink). Idempotent: reuses the
 * tenant and a still-valid `existingKey`, and saves a new agent version only when the
 * definition changed.
 */
export async function seedDemo(
  db: Queryable,
  options: {
    sinkUrl: string;
    existingKey?: string;
    tenantName?: string;
    /** Credentials to store (sandbox ones in dev), encrypted with `keyring`. */
    credentials?: { name: string; provider: CredentialProvider; secret: CredentialSecret }[];
    keyring?: Keyring;
  },
): Promise<DemoSeed> {
  const tenantName = options.tenantName ?? 'dev';
  const tenant = (await findTenantByName(db, tenantName)) ?? (await createTenant(db, tenantName));
  let apiKey = options.existingKey;
  const valid = apiKey ? await verifyApiKey(db, apiKey) : undefined;
  if (!valid || valid.tenantId !== tenant.id) apiKey = (await createApiKey(db, tenant.id, { label: 'dev' })).key;
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
  for (const endpoint of EXAMPLE_ENDPOINTS) {
    await upsertEndpoint(db, {
      tenantId: tenant.id,
      name: endpoint.name,
      url: `${options.sinkUrl}${endpoint.path}`,
      method: 'POST',
      headers: {},
      timeoutMs: 5000,
      allowPrivate: true,
    });
  }
  if (options.keyring) {
    for (const c of options.credentials ?? []) {
      await putCredential(db, options.keyring, { tenantId: tenant.id, ...c });
    }
  }
  const agent = await saveDemoAgent(db, tenant.id, 'demo', {
    instructions: "You help users log their meals. When the user tells you what they ate, use the 'save_meal' action.",
    actions: [demoTool('save_meal.tool.json')],
  });
  // The voice seed's appointment-booking workflow, on built-in actions (Cal.com, Twilio).
  const receptionist = demoTool('receptionist/agent.json') as { instructions: string; actions: string[] };
  await saveDemoAgent(db, tenant.id, 'receptionist', {
    instructions: receptionist.instructions,
    actions: receptionist.actions.map((file) => demoTool(`receptionist/${file}`)),
  });
  for (const name of EXAMPLE_AGENTS) {
    const example = exampleAgent(name);
    await saveDemoAgent(db, tenant.id, name, { instructions: example.instructions, actions: example.actions });
  }
  return { tenantId: tenant.id, apiKey: apiKey as string, agentName: 'demo', agentId: agent.agentId };
}

/**
 * Saves a demo agent through the same validated, versioned path as the API (invalid definitions
 * and instruction lint errors refused), and only when it differs from the published version (so
 * restarts do not pile up versions).
 */
export async function saveDemoAgent(
  db: Queryable,
  tenantId: string,
  name: string,
  definition: { instructions: string; actions: JsonObject[] },
): Promise<{ agentId: string; version: number }> {
  const compiled = compileAgentDefinition(definition);
  if (compiled.issues.length > 0) {
    throw new Error(
      `demo agent '${name}' is invalid: ${compiled.issues.map((i) => `${i.pointer}: ${i.message}`).join('; ')}`,
    );
  }
  // The API refuses to publish an agent with instruction lint errors unless forced; so does the seed.
  const lint = lintErrors(compiled.lint);
  if (lint.length > 0) {
    throw new Error(
      `demo agent '${name}' has instruction lint errors: ${lint.map((i) => `${i.line}:${i.column} ${i.message}`).join('; ')}`,
    );
  }
  const existing = await findAgentByName(db, tenantId, name);
  if (existing) {
    const published = await listAgentActions(db, tenantId, existing.id);
    const same =
      existing.instructions === definition.instructions &&
      stableJson(published.map((a) => a.source).sort((a, b) => stableJson(a).localeCompare(stableJson(b)))) ===
        stableJson(definition.actions.slice().sort((a, b) => stableJson(a).localeCompare(stableJson(b))));
    if (same && published.length > 0) return { agentId: existing.id, version: 0 };
  }
  const saved = await saveAgentVersion(
    db,
    tenantId,
    name,
    definition.instructions,
    compiled.actions.map((a) => ({
      name: a.name,
      format: a.format,
      source: a.source,
      canonical: a.canonical as unknown as JsonObject,
    })),
  );
  return { agentId: saved.agentId, version: saved.version };
}
