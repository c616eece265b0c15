/**
 * What the drop-in endpoints (Vapi and Retell webhooks, MCP) share: an agent's tools as the
 * runtime sees them, running one tool call through {@link ToolCalls}, and turning its outcome
 * into text a voice runtime can feed its model and speak.
 */
import { createHash } from 'node:crypto';
import { type CanonicalAction, visibleOutputs } from '@switchboard/actions';
import { exportTools, type McpTool } from '@switchboard/agents';
import type { JsonObject, JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common';
import {
  type Agent,
  findAgentById,
  findConversation,
  listAgentActions,
  type Queryable,
  stableJson,
} from '@switchboard/db';
import type { ToolCallResponse } from './results.js';
import type { ToolCalls } from './tool-calls.js';

/** An agent's published actions, with the names a runtime may call them by. */
export interface AgentTools {
  agent: Agent;
  /** Exact action name → canonical action. */
  actions: Map<string, CanonicalAction>;
  /** Exported tool name (see `toolNameFor`) → exact action name. */
  nameMap: Record<string, string>;
  /** The MCP tools the model may call (deterministic `every_turn`/`after_turn` actions left out). */
  mcpTools: McpTool[];
}

/** Loads the agent's published actions and their exported MCP tools. */
export async function loadAgentTools(db: Queryable, tenantId: string, agent: Agent): Promise<AgentTools> {
  const rows = await listAgentActions(db, tenantId, agent.id);
  const actions = new Map<string, CanonicalAction>();
  for (const row of rows) actions.set(row.name, row.canonical as unknown as CanonicalAction);
  const canonical = [...actions.values()];
  // Names are resolved over every action (a runtime configured by hand may call a deterministic
  // one); only the model-facing list leaves the deterministic ones out.
  const { nameMap } = exportTools(canonical, 'mcp', { includeDeterministic: true });
  const { tools } = exportTools(canonical, 'mcp');
  return { agent, actions, nameMap, mcpTools: tools };
}

/**
 * The tools of the agent a drop-in conversation is with now: the path's agent's (`entry`), or,
 * after a handoff, the target's — so the runtime's next tool call runs the target's actions.
 */
export async function activeToolsOf(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  entry: AgentTools,
): Promise<AgentTools> {
  const conversation = await findConversation(db, tenantId, conversationId);
  if (!conversation || conversation.activeAgentId === entry.agent.id) return entry;
  const agent = await findAgentById(db, tenantId, conversation.activeAgentId);
  return agent ? loadAgentTools(db, tenantId, agent) : entry;
}

/**
 * The exact action name a runtime's tool name stands for: the action name itself, or the
 * exported tool name (`toolNameFor`, what `switchboard export` and MCP `tools/list` show).
 */
export function resolveActionName(tools: AgentTools, name: string): string | undefined {
  if (tools.actions.has(name)) return name;
  return Object.hasOwn(tools.nameMap, name) ? tools.nameMap[name] : undefined;
}

/** A drop-in tool call's outcome, ready for a runtime. */
export interface DropinOutcome {
  /** The tool call (run) id, when one was made. */
  id?: string;
  status: ToolCallResponse['status'] | 'rejected';
  /** True for `failed`, `cancelled` and `rejected` (the call was not made). */
  failed: boolean;
  /** The messages joined, then the visible outputs as JSON, or why it failed: what the model reads. */
  text: string;
  /** Outputs the agent may see (`filter_from_agent` ones dropped). */
  outputs: JsonObject;
  error?: { code: string; message: string };
}

/** One tool call as a drop-in endpoint makes it. */
export interface DropinToolCall {
  tenantId: string;
  conversationId: string;
  tools: AgentTools;
  /** The name the runtime called: an action name or its exported tool name. */
  name: string;
  arguments: JsonObject;
  idempotencyKey?: string;
}

/**
 * Runs one tool call and describes its outcome. A failed or cancelled chain is an outcome,
 * not an error; so is a call that cannot be made (unknown tool, ended conversation, an
 * idempotency key reused for another tool or other arguments: `idempotency_key_reused`, and
 * nothing runs) — the runtime's model reads why. Only errors that
 * a retry may fix (bus or database unavailable) are thrown, so the runtime's request fails and
 * its retry, with the same idempotency key, runs the call once.
 */
export async function runDropinToolCall(toolCalls: ToolCalls, call: DropinToolCall): Promise<DropinOutcome> {
  const actionName = resolveActionName(call.tools, call.name);
  if (actionName === undefined) {
    const known = [...call.tools.actions.keys()].join(', ') || 'none';
    return rejected('not_found', `agent '${call.tools.agent.name}' has no tool '${call.name}' (tools: ${known})`);
  }
  try {
    const response = await toolCalls.call({
      tenantId: call.tenantId,
      conversationId: call.conversationId,
      name: actionName,
      arguments: call.arguments,
      ...(call.idempotencyKey !== undefined ? { idempotencyKey: call.idempotencyKey } : {}),
    });
    return describeOutcome(response, call.tools.actions.get(actionName));
  } catch (err) {
    if (err instanceof SwitchboardError && !err.retryable) return rejected(err.code, err.message);
    throw err;
  }
}

/** A call that was not made, described for the model. */
export function rejected(code: string, message: string): DropinOutcome {
  return {
    status: 'rejected',
    failed: true,
    text: `The tool call was rejected (${code}): ${message}`,
    outputs: {},
    error: { code, message },
  };
}

/**
 * Describes a tool call's outcome: the `respond` messages joined by spaces, then on a new line
 * `Outputs: {…}` when the action returned visible outputs; a failure or cancellation adds a line
 * with its code and message; a call still running or waiting for the user's confirmation says so
 * (with the tool call id, for `GET /v1/runs/:id` and the confirmation endpoint).
 */
export function describeOutcome(response: ToolCallResponse, action: CanonicalAction | undefined): DropinOutcome {
  const outputs = (
    action ? visibleOutputs(action, response.outputs as Record<string, JsonValue>) : response.outputs
  ) as JsonObject;
  const said = response.messages.join(' ').trim();
  const lines: string[] = said === '' ? [] : [said];
  const reason = response.error ? ` (${response.error.code}): ${response.error.message}` : '.';
  switch (response.status) {
    case 'succeeded':
      if (lines.length === 0 && Object.keys(outputs).length === 0) lines.push('Done.');
      break;
    case 'failed':
      lines.push(`The action failed${reason}`);
      break;
    case 'cancelled':
      lines.push(`The action was cancelled${reason}`);
      break;
    case 'awaiting_confirmation':
      lines.push(`The action is waiting for the user's explicit confirmation (tool call ${response.id}).`);
      break;
    case 'accepted':
    case 'running':
      lines.push(`The action is still running (tool call ${response.id}); its result is not available yet.`);
      break;
  }
  if (Object.keys(outputs).length > 0) lines.push(`Outputs: ${JSON.stringify(outputs)}`);
  const failed = response.status === 'failed' || response.status === 'cancelled';
  return {
    id: response.id,
    status: response.status,
    failed,
    text: lines.join('\n'),
    outputs,
    ...(failed && response.error ? { error: { code: response.error.code, message: response.error.message } } : {}),
  };
}

/**
 * The idempotency key of a Retell custom-function call, which carries no id of its own: the
 * call id, the function name and a hash of the arguments (keys sorted). Retell's retries of a
 * failed request therefore run once; so does the same function with the same arguments asked
 * twice in one call — the second answer is the first one's result.
 */
export function retellIdempotencyKey(callId: string, name: string, args: JsonObject): string {
  return derivedIdempotencyKey('retell', callId, name, args);
}

/**
 * The idempotency key of a runtime's tool call that carries no id of its own (Retell,
 * ElevenLabs): `<runtime>:<call id>:<tool name>:<hash of the arguments, keys sorted>`.
 */
export function derivedIdempotencyKey(runtime: string, callId: string, name: string, args: JsonObject): string {
  const digest = createHash('sha256').update(stableJson(args)).digest('hex').slice(0, 32);
  return `${runtime}:${callId}:${name}:${digest}`;
}

const E164 = /^\+[1-9][0-9]{7,14}$/;

/** `value` when it is an E.164 number, else undefined (web calls have none; chains expect E.164). */
export function e164(value: unknown): string | undefined {
  return typeof value === 'string' && E164.test(value) ? value : undefined;
}

/** `value` when it is a non-empty string. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `value` when it is a plain JSON object. */
export function object(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}
