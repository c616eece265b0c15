/**
 * The early answer of a tool call whose action delivers its result later (an `async` action,
 * or one past its `respond_within_ms`): `running`, with the run id and the action's progress
 * message, once the run is marked answered early. The chain's delivery step then delivers the
 * final result (SSE/WebSocket `result` event, the agent's result webhook, Vapi `add-message`).
 */
import { type CanonicalAction, renderTemplate } from '@switchboard/actions';
import type { JsonObject, JsonValue } from '@switchboard/common';
import { findRun, markRunAnsweredEarly, type Queryable } from '@switchboard/db';
import { fromStoredResult, type ToolCallResponse } from './results.js';

/** What the early answer says: the action's progress message (rendered with the arguments), else a plain sentence. */
export function progressText(action: CanonicalAction, args: JsonObject, callContext: JsonObject): string {
  const template = action.progressMessage ?? `${action.label} has started; its result follows when it is ready.`;
  return renderTemplate(template, {
    params: args as Record<string, JsonValue>,
    context: callContext as Record<string, JsonValue>,
    flags: {},
    workflow: {},
    agents: {},
    outputs: {},
  });
}

/**
 * Answers a tool call before its result: marks the run answered early and says `running`; a
 * run that finished meanwhile is answered with its result instead (nothing is delivered then).
 */
export async function answerEarly(
  db: Queryable,
  call: { tenantId: string; intentId: string; action: CanonicalAction; args: JsonObject; callContext: JsonObject },
): Promise<ToolCallResponse> {
  if (await markRunAnsweredEarly(db, call.tenantId, call.intentId)) {
    return {
      id: call.intentId,
      status: 'running',
      messages: [progressText(call.action, call.args, call.callContext)],
      events: [],
      outputs: {},
    };
  }
  const run = await findRun(db, call.tenantId, call.intentId);
  if (!run) return { id: call.intentId, status: 'running', messages: [], events: [], outputs: {} };
  return fromStoredResult(call.intentId, run.status, run.result);
}
