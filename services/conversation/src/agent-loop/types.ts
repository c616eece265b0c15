/**
 * Contracts of the agent loop: the model it talks to, the tool runner it acts through, and what
 * one turn takes and gives back. The loop ({@link import('./loop.js').runTurn}) depends only on
 * these interfaces, so it runs the same against the OpenAI client and against test fakes.
 */
import type { CanonicalAction, RunMode } from '@switchboard/actions';
import type { OpenAITool } from '@switchboard/agents';
import type { JsonObject } from '@switchboard/common';
import type { ToolCallResponse } from '../results.js';

/** A tool call the model asked for, as chat-completions carries it. */
export interface ModelToolCall {
  /** The model's id of the call; the tool message answering it carries the same id. */
  id: string;
  /** The tool name the model saw (map it back to the action name with the export's name map). */
  name: string;
  /** The arguments as the JSON text the model wrote (may be invalid JSON). */
  arguments: string;
}

/** One message of the model's context (the chat-completions roles the loop uses). */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** One request to the model. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** The tools the model may call (the agent's LLM-choosable actions). */
  tools: OpenAITool[];
  /** `none` makes the model answer in words (the last allowed round, a confirmation question). */
  toolChoice: 'auto' | 'none';
}

/** The model's answer: words, tool calls, or both in the same response. */
export interface ChatReply {
  text: string | null;
  toolCalls: ModelToolCall[];
}

/** An OpenAI-compatible chat model. Errors are {@link import('@switchboard/common').SwitchboardError}s. */
export interface ChatModel {
  complete(request: ChatRequest): Promise<ChatReply>;
}

/** The outcome of a tool call, as the tool-call API answers it. */
export type ToolOutcome = ToolCallResponse;

/**
 * Runs actions of the conversation (through the bus and the session workflow, in production).
 * A call that needs the user's confirmation answers `awaiting_confirmation` at once.
 */
export interface ToolRunner {
  call(request: { action: string; arguments: JsonObject; idempotencyKey: string }): Promise<ToolOutcome>;
  /** Answers a pending confirmation; resolves with the call's outcome. */
  control(callId: string, kind: 'confirm' | 'decline'): Promise<ToolOutcome>;
}

/** A confirmation the turn ended on: the next turn's user text answers it. */
export interface PendingConfirmation {
  /** The tool call (run) waiting, `int_…`. */
  callId: string;
  /** The exact action name. */
  action: string;
  /** The tool name the model used, and the arguments it gave. */
  toolName: string;
  arguments: JsonObject;
}

/** Why an action ran in this turn. */
export type TurnActionTrigger = RunMode | 'confirmation';

/** One action run of a turn, as the turn's response reports it. */
export interface TurnAction {
  /** The tool call (run) id, `int_…`; empty when the call never reached the bus (unknown tool, bad arguments). */
  callId: string;
  name: string;
  /** `tool`: the model chose it; `every_turn` / `after_turn`: deterministic; `confirmation`: the user's answer. */
  trigger: TurnActionTrigger;
  arguments: JsonObject;
  status: ToolOutcome['status'];
  messages: string[];
  /** All outputs (the caller's own data; the model saw only the visible ones). */
  outputs: JsonObject;
  events: ToolOutcome['events'];
  error?: { code: string; message: string; retryable: boolean };
}

/** What one turn needs. */
export interface TurnInput {
  /** Unique per turn; tool calls are keyed by it (`<turn>:<tool call id>`), so each runs once. */
  turnId: string;
  userText: string;
  /** The agent's instructions, rendered with the contact variables. */
  instructions: string;
  /** The conversation so far (earlier turns), oldest first. */
  history: ChatMessage[];
  /**
   * The transcript already holds `userText`: an earlier attempt of this turn (same turn id,
   * same Idempotency-Key) kept it and then failed. It is not kept again.
   */
  userTextKept?: boolean;
  /** What that earlier attempt did after the user's text (its tool calls and words), oldest first. */
  resumed?: ChatMessage[];
  /** Every action of the agent's published version. */
  actions: CanonicalAction[];
  /** The confirmation the previous turn ended on, if any. */
  pending?: PendingConfirmation;
  /** An explicit answer to {@link pending}; without it, the user text is classified. */
  confirmation?: boolean;
}

/** What one turn did. */
export interface TurnResult {
  /** What to say to the user: every text the model produced in the turn, in order. */
  text: string;
  /** Every action run in the turn, in the order it ran. */
  actions: TurnAction[];
  /** Set when the turn ends asking the user to confirm an action. */
  pendingConfirmation?: PendingConfirmation;
  /** The turn's messages to append to the transcript (user text first). */
  messages: ChatMessage[];
  /** Calls made to the model. */
  rounds: number;
  /** The model announced an action without calling it and was asked to call it now. */
  nudged: boolean;
}
