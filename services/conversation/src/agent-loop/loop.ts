/**
 * One turn of an agent's own LLM loop, free of I/O: the model and the tool runner come in as
 * interfaces ({@link ChatModel}, {@link ToolRunner}).
 *
 * A turn: answer the confirmation the previous turn ended on (if any) → run the `every_turn`
 * actions → call the model with the agent's instructions, the transcript and the user's text →
 * run the tools it calls and feed their results back (visible outputs only) → repeat until it
 * answers in words (at most {@link MAX_LLM_ROUNDS} calls; the last one may not call tools) →
 * run the `after_turn` actions.
 *
 * Words and actions of one turn are delivered together (the seed's "announces the transfer but
 * executes it next turn" problem), by design rather than by prompt advice to the caller:
 * - a response with both text and tool calls has its tools run in the same turn, and the turn
 *   returns the text together with the actions' results and call-control events;
 * - the turn policy appended to the instructions tells the model to call the tool in the same
 *   response as the words that announce it, and not to ask for confirmations itself (the
 *   executor asks, once);
 * - a text-only reply that still commits to an action ("I'll transfer you now") earns the model
 *   one more round, with a note naming the action, to call it now ({@link findAnnouncements});
 *   if it answers in words again, that answer is dropped and the announcement stands as said.
 *
 * Confirmation: a tool call that returns `awaiting_confirmation` ends the turn with the model's
 * question (one more round without tools); later tool calls of the same response are not run.
 * The next turn answers it from the user's words ({@link classifyConfirmation}: only a clear
 * yes confirms) or from the request's explicit `confirmation`, and the outcome is fed to the
 * model as the result of that tool call. A turn that ends on a question skips its `after_turn`
 * actions: the turn is not over until the user has answered it.
 */
import { type CanonicalAction, RunModes } from '@switchboard/actions';
import { exportTools } from '@switchboard/agents';
import { asSwitchboardError, type JsonObject, toStorableText } from '@switchboard/common';
import { parseToolArguments } from '../tool-arguments.js';
import { type Announcement, findAnnouncements } from './announcements.js';
import { classifyConfirmation } from './confirmation.js';
import { resultForModel } from './tool-results.js';
import type {
  ChatMessage,
  ChatModel,
  ModelToolCall,
  PendingConfirmation,
  ToolOutcome,
  ToolRunner,
  TurnAction,
  TurnActionTrigger,
  TurnInput,
  TurnResult,
} from './types.js';

/** Model calls per turn, at most; the last one may only answer in words. */
export const MAX_LLM_ROUNDS = 5;

/** Appended to the agent's instructions: how this runtime delivers words and actions. */
export const TURN_POLICY = [
  'How this conversation runs:',
  '- The words and the tool calls of one response are delivered together, in the same turn.',
  '- When you tell the user you are doing something a tool does (transferring them, ending the call, booking, sending a text…), call that tool in the same response. Never announce an action for later.',
  '- Tools that require confirmation ask the user themselves: call them directly instead of asking first.',
].join('\n');

/**
 * Where what is said goes as it is said (the conversation's transcript), so that messages and
 * tool calls (which the executor enters by itself) keep the order they happened in.
 */
export interface TranscriptSink {
  said(role: 'user' | 'assistant', text: string): Promise<void>;
}

/** What {@link runTurn} needs besides its input. */
export interface TurnDeps {
  model: ChatModel;
  tools: ToolRunner;
  transcript?: TranscriptSink;
  /** Default {@link MAX_LLM_ROUNDS}. */
  maxRounds?: number;
}

/** Runs one turn. Model errors propagate (the turn fails); tool failures are fed to the model. */
export async function runTurn(input: TurnInput, deps: TurnDeps): Promise<TurnResult> {
  const maxRounds = Math.max(2, deps.maxRounds ?? MAX_LLM_ROUNDS);
  const model = storableReplies(deps.model);
  const turn = new Turn(input, deps.tools, deps.transcript);
  const { tools, nameMap } = exportTools(input.actions, 'openai');
  const choosable = input.actions.filter((a) => !isDeterministic(a));

  turn.messages.push({ role: 'user', content: input.userText });
  if (input.userTextKept !== true) await deps.transcript?.said('user', input.userText);
  // A retried turn: the model sees what the failed attempt already did, after the user's text.
  if (input.resumed !== undefined) turn.messages.push(...input.resumed);
  if (input.pending) await turn.answerConfirmation(input.pending, input.confirmation);
  const everyTurn = await turn.runDeterministic(RunModes.EveryTurn);

  const prefix: ChatMessage[] = [
    { role: 'system', content: `${input.instructions.trim()}\n\n${TURN_POLICY}` },
    ...input.history,
    ...(everyTurn.length > 0
      ? [{ role: 'system' as const, content: everyTurnNote(everyTurn.map((a) => [a.name, turn.forModel(a.name, a)])) }]
      : []),
  ];
  let rounds = 0;
  let nudged = false;
  let nudge: ChatMessage | undefined;
  while (rounds < maxRounds) {
    rounds++;
    const last = rounds === maxRounds;
    const reply = await model.complete({
      messages: [...prefix, ...turn.messages, ...(nudge ? [nudge] : [])],
      tools,
      toolChoice: last ? 'none' : 'auto',
    });
    const answeringNudge = nudge !== undefined;
    nudge = undefined;
    const text = nonEmpty(reply.text);
    if (reply.toolCalls.length === 0 || last) {
      // The model chose not to act on its announcement: what it said stands; this reply is not said.
      if (answeringNudge) break;
      if (text !== undefined && !nudged && rounds < maxRounds - 1) {
        const announced = findAnnouncements(
          text,
          choosable.filter((a) => !turn.ran(a.name)),
        );
        if (announced.length > 0) {
          nudged = true;
          await turn.say(text);
          nudge = { role: 'system', content: nudgeNote(announced) };
          continue;
        }
      }
      if (text !== undefined) await turn.say(text);
      break;
    }
    await turn.say(text ?? null, reply.toolCalls);
    await turn.runToolCalls(reply.toolCalls, nameMap);
    if (turn.pending) {
      // The question is the model's to phrase, but nothing more may run before the answer.
      rounds++;
      const ask = await model.complete({ messages: [...prefix, ...turn.messages], tools, toolChoice: 'none' });
      await turn.say(nonEmpty(ask.text) ?? `Shall I go ahead with ${labelOf(input.actions, turn.pending.action)}?`);
      break;
    }
  }
  // The session runs a conversation's actions one at a time, and the one waiting for the answer
  // holds the line: after-turn actions queued now would only wait for it. The turn that brings
  // the answer runs them.
  if (!turn.pending) await turn.runDeterministic(RunModes.AfterTurn);
  return {
    text: turn.spoken.join(' '),
    actions: turn.actions,
    ...(turn.pending ? { pendingConfirmation: turn.pending } : {}),
    messages: turn.messages,
    rounds,
    nudged,
  };
}

/** The state of one turn while it runs. */
class Turn {
  readonly messages: ChatMessage[] = [];
  readonly actions: TurnAction[] = [];
  readonly spoken: string[] = [];
  pending: PendingConfirmation | undefined;
  private readonly byName: Map<string, CanonicalAction>;

  constructor(
    private readonly input: TurnInput,
    private readonly runner: ToolRunner,
    private readonly transcript: TranscriptSink | undefined,
  ) {
    this.byName = new Map(input.actions.map((a) => [a.name, a]));
  }

  /** The model's words (said to the user) and the tool calls of the same response. */
  async say(text: string | null, toolCalls: ModelToolCall[] = []): Promise<void> {
    this.messages.push({ role: 'assistant', content: text, ...(toolCalls.length > 0 ? { toolCalls } : {}) });
    if (text === null) return;
    this.spoken.push(text);
    await this.transcript?.said('assistant', text);
  }

  /** Whether the action already ran (successfully, or is waiting) in this turn. */
  ran(name: string): boolean {
    return this.actions.some(
      (a) => a.name === name && (a.status === 'succeeded' || a.status === 'running' || a.status === 'accepted'),
    );
  }

  /**
   * Answers the previous turn's confirmation and records the outcome as a tool call of the
   * action followed by its result, which is how the model best understands "it ran now".
   */
  async answerConfirmation(pending: PendingConfirmation, explicit: boolean | undefined): Promise<void> {
    const answer = explicit === undefined ? classifyConfirmation(this.input.userText) : explicit ? 'yes' : 'no';
    const outcome = await this.control(pending.callId, answer === 'yes' ? 'confirm' : 'decline');
    this.record(pending.action, 'confirmation', pending.arguments, outcome);
    const id = `confirm_${pending.callId}`;
    this.messages.push({
      role: 'assistant',
      content: null,
      toolCalls: [{ id, name: pending.toolName, arguments: JSON.stringify(pending.arguments) }],
    });
    const note =
      answer === 'yes'
        ? 'The user confirmed, so the action ran.'
        : 'The user did not confirm, so the action did not run. Ask again only if they still want it.';
    this.messages.push({
      role: 'tool',
      toolCallId: id,
      content: json({ note, ...this.forModel(pending.action, outcome) }),
    });
  }

  /** Runs the deterministic actions of `mode` in definition order; returns them with their outcomes. */
  async runDeterministic(mode: typeof RunModes.EveryTurn | typeof RunModes.AfterTurn): Promise<TurnAction[]> {
    const ran: TurnAction[] = [];
    for (const action of this.input.actions.filter((a) => a.run === mode)) {
      let outcome = await this.call(action.name, {}, `${this.input.turnId}:${mode}:${action.name}`);
      // Nobody is asked on behalf of a deterministic run: a confirmation request is declined.
      if (outcome.status === 'awaiting_confirmation') outcome = await this.control(outcome.id, 'decline');
      ran.push(this.record(action.name, mode, {}, outcome));
    }
    return ran;
  }

  /** Runs the model's tool calls in order, answering each with a tool message. */
  async runToolCalls(calls: readonly ModelToolCall[], nameMap: Record<string, string>): Promise<void> {
    for (const call of calls) {
      if (this.pending) {
        this.toolMessage(call.id, {
          status: 'not_run',
          note: `Not run: waiting for the user to confirm '${this.pending.action}' first.`,
        });
        continue;
      }
      const name = Object.hasOwn(nameMap, call.name) ? nameMap[call.name] : undefined;
      const args = parseToolArguments(call.arguments);
      if (name === undefined || typeof args === 'string') {
        const error =
          name === undefined
            ? { code: 'unknown_tool', message: `there is no tool named '${call.name}'`, retryable: false }
            : { code: 'invalid_arguments', message: String(args), retryable: false };
        const outcome: ToolOutcome = { id: '', status: 'failed', messages: [], events: [], outputs: {}, error };
        this.record(name ?? call.name, RunModes.Tool, {}, outcome);
        this.toolMessage(call.id, { status: 'failed', error: { code: error.code, message: error.message } });
        continue;
      }
      const outcome = await this.call(name, args, `${this.input.turnId}:${call.id}`);
      this.record(name, RunModes.Tool, args, outcome);
      if (outcome.status === 'awaiting_confirmation') {
        this.pending = { callId: outcome.id, action: name, toolName: call.name, arguments: args };
        this.toolMessage(call.id, {
          status: 'awaiting_confirmation',
          note: 'Not run yet: it needs the user’s explicit confirmation. Ask them now, in one short question.',
        });
        continue;
      }
      this.toolMessage(call.id, this.forModel(name, outcome));
    }
  }

  /** What the model sees of an outcome (see {@link resultForModel}). */
  forModel(name: string, outcome: Pick<ToolOutcome, 'status' | 'outputs' | 'messages' | 'error'>): JsonObject {
    return resultForModel(this.byName.get(name), outcome);
  }

  private toolMessage(toolCallId: string, content: JsonObject): void {
    this.messages.push({ role: 'tool', toolCallId, content: json(content) });
  }

  private record(name: string, trigger: TurnActionTrigger, args: JsonObject, outcome: ToolOutcome): TurnAction {
    const action: TurnAction = {
      callId: outcome.id,
      name,
      trigger,
      arguments: args,
      status: outcome.status,
      messages: outcome.messages,
      outputs: outcome.outputs,
      events: outcome.events,
      ...(outcome.error
        ? { error: { code: outcome.error.code, message: outcome.error.message, retryable: outcome.error.retryable } }
        : {}),
    };
    this.actions.push(action);
    return action;
  }

  /** A tool call that cannot reach the executor fails like a failed action, so the model can say so. */
  private async call(name: string, args: JsonObject, idempotencyKey: string): Promise<ToolOutcome> {
    try {
      return await this.runner.call({ action: name, arguments: args, idempotencyKey });
    } catch (err) {
      return failedOutcome('', err);
    }
  }

  private async control(callId: string, kind: 'confirm' | 'decline'): Promise<ToolOutcome> {
    try {
      return await this.runner.control(callId, kind);
    } catch (err) {
      return failedOutcome(callId, err);
    }
  }
}

function failedOutcome(id: string, err: unknown): ToolOutcome {
  const e = asSwitchboardError(err);
  return {
    id,
    status: 'failed',
    messages: [],
    events: [],
    outputs: {},
    error: { code: e.code, message: e.message, retryable: e.retryable },
  };
}

function isDeterministic(action: CanonicalAction): boolean {
  return action.run === RunModes.EveryTurn || action.run === RunModes.AfterTurn;
}

/**
 * The model's replies with every string made storable (U+0000 and unpaired surrogates become
 * U+FFFD): its words, call ids, names and argument texts are kept in the transcript and the
 * turn's history, and nobody could be asked to fix them. Arguments are checked again, as JSON,
 * when they are parsed (`parseToolArguments`), and refused to the model if they break a limit.
 */
function storableReplies(model: ChatModel): ChatModel {
  return {
    async complete(request) {
      const reply = await model.complete(request);
      return {
        text: reply.text === null ? null : toStorableText(reply.text),
        toolCalls: reply.toolCalls.map((call) => ({
          id: toStorableText(call.id),
          name: toStorableText(call.name),
          arguments: toStorableText(call.arguments),
        })),
      };
    },
  };
}

function everyTurnNote(results: readonly (readonly [string, JsonObject])[]): string {
  const lines = results.map(([name, result]) => `- ${name}: ${json(result)}`);
  return ['Actions that ran for this turn before you (do not call them):', ...lines].join('\n');
}

function nudgeNote(announced: readonly Announcement[]): string {
  const names = announced.map((a) => `'${a.action}'`).join(', ');
  return (
    `You told the user "${announced[0]?.phrase ?? ''}…" but did not call ${names}. ` +
    'Words and actions are delivered together, so if you meant it, call the tool now, in this response. ' +
    'If you did not mean to do it now, answer with an empty message.'
  );
}

function labelOf(actions: readonly CanonicalAction[], name: string): string {
  return actions.find((a) => a.name === name)?.label ?? name;
}

function nonEmpty(text: string | null): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function json(value: JsonObject): string {
  return JSON.stringify(value);
}
