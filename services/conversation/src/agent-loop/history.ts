import { type CanonicalAction, RunModes } from '@switchboard/actions';
import { exportTools, toolNameFor } from '@switchboard/agents';
import type { JsonObject } from '@switchboard/common';
import type { TranscriptEntry, TranscriptToolCall } from '@switchboard/db';
import { resultForModel } from './tool-results.js';
import type { ChatMessage } from './types.js';

/**
 * The model's view of the conversation so far, from its transcript (messages in order, tool
 * calls entered when accepted and when finished; see libs/db transcripts).
 *
 * Every tool call becomes an assistant tool call answered by a tool message right after it, as
 * chat completions require. A call whose result came later (it waited for a confirmation, or ran
 * long) is answered "started" where it was made, and its result is replayed where it arrived,
 * as a call of the same action followed by the result. Deterministic actions (`every_turn`,
 * `after_turn`) are left out: the model never called them and must not learn to.
 *
 * @param outputs All outputs of finished calls, by call id; only the visible ones are shown.
 */
export function historyFromTranscript(
  entries: readonly TranscriptEntry[],
  outputs: ReadonlyMap<string, JsonObject>,
  actions: readonly CanonicalAction[],
): ChatMessage[] {
  const byName = new Map(actions.map((a) => [a.name, a]));
  const toolNames = new Map(Object.entries(exportTools(actions, 'openai').nameMap).map(([tool, name]) => [name, tool]));
  const deterministic = (name: string) => {
    const run = byName.get(name)?.run;
    return run === RunModes.EveryTurn || run === RunModes.AfterTurn;
  };
  const call = (toolCall: TranscriptToolCall, id: string): ChatMessage => ({
    role: 'assistant',
    content: null,
    toolCalls: [
      {
        id,
        name: toolNames.get(toolCall.name) ?? toolNameFor(toolCall.name),
        arguments: JSON.stringify(toolCall.arguments),
      },
    ],
  });
  const result = (toolCall: TranscriptToolCall, id: string): ChatMessage => ({
    role: 'tool',
    toolCallId: id,
    content: JSON.stringify(
      resultForModel(byName.get(toolCall.name), { ...toolCall, outputs: outputs.get(toolCall.id) ?? {} }),
    ),
  });

  const messages: ChatMessage[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as TranscriptEntry;
    if (entry.kind === 'message') {
      messages.push({ role: entry.role, content: entry.text });
      continue;
    }
    if (deterministic(entry.toolCall.name)) continue;
    const id = entry.toolCall.id;
    if (entry.kind === 'tool_result') {
      messages.push(call(entry.toolCall, `${id}_result`), result(entry.toolCall, `${id}_result`));
      continue;
    }
    messages.push(call(entry.toolCall, id));
    const next = entries[i + 1];
    if (next?.kind === 'tool_result' && next.toolCall.id === id) {
      messages.push(result(next.toolCall, id));
      i++;
    } else {
      messages.push({
        role: 'tool',
        toolCallId: id,
        content: JSON.stringify({ status: 'started', note: 'Its result came later in the conversation.' }),
      });
    }
  }
  return messages;
}
