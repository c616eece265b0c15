/**
 * The answer of a tool call still running when its caller stops waiting: `running`, once the run
 * is marked answered early (with the action's progress message when the action delivers its
 * result later: an `async` action, or one past its `respond_within_ms`). Such an action's chain
 * then delivers the final result (the agent's result webhook, Vapi `add-message`; the event
 * stream's `result` event carries every run's).
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
 * Answers a tool call before its result with `running`: marks the run answered early (an async
 * action's chain then delivers the result when it ends); a run that finished meanwhile is
 * answered with its result instead, and nothing is delivered for it.
 */
export async function answerEarly(
  db: Queryable,
  run: { tenantId: string; intentId: string },
  running: ToolCallResponse,
): Promise<ToolCallResponse> {
  if (await markRunAnsweredEarly(db, run.tenantId, run.intentId)) return running;
  const finished = await findRun(db, run.tenantId, run.intentId);
  return finished ? fromStoredResult(run.intentId, finished.status, finished.result) : running;
}
