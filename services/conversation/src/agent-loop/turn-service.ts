/**
 * Runs one agent turn of a conversation against its data: the agent's published version (its
 * instructions rendered with the contact, its actions, its LLM settings), the tenant's LLM
 * credential, the transcript so far, the confirmation the last turn ended on. The loop itself
 * ({@link runTurn}) knows none of this.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CanonicalAction } from '@switchboard/actions';
import { renderInstructions } from '@switchboard/agents';
import { type JsonObject, type Logger, NotFoundError, SwitchboardError } from '@switchboard/common';
import {
  appendTranscriptMessage,
  beginIdempotentTurn,
  CredentialProviders,
  findAgentLlmSettings,
  findAgentTopics,
  findConversation,
  findIdempotentTurn,
  findTurnConfirmation,
  finishIdempotentTurn,
  type Keyring,
  keepIdempotentTurnUserSeq,
  listAgentActions,
  listAgentTopicActions,
  listRuns,
  listTranscript,
  type Queryable,
  readCredential,
  setTurnConfirmation,
  type TranscriptEntry,
  withConversationTurnLock,
} from '@switchboard/db';
import type pg from 'pg';
import { activeAgentOf } from '../active-agent.js';
import { ConflictError, IdempotencyKeyReusedError } from '../errors.js';
import type { ToolCalls } from '../tool-calls.js';
import { assertLlmEndpointAllowed } from './endpoint-policy.js';
import { historyFromTranscript } from './history.js';
import { runTurn } from './loop.js';
import { type ChatModelFactory, createOpenAIChatModel } from './openai-model.js';
import { topicTurnActions, topicTurnInstructions } from './topics.js';
import type { ToolRunner, TurnResult } from './types.js';

/** Stable error codes of a turn (besides the model's, see `LlmErrorCodes`). */
export const TurnErrorCodes = {
  /** The agent's published version has no `llm` settings. */
  LlmNotConfigured: 'llm_not_configured',
  /** The LLM credential is not an `openai` credential or has no `apiKey`. */
  LlmCredentialInvalid: 'llm_credential_invalid',
  /** This deployment cannot decrypt credentials (no `CREDENTIALS_KEYS`). */
  CredentialsUnavailable: 'credentials_unavailable',
  /** Another turn of the conversation is running. */
  TurnInProgress: 'turn_in_progress',
} as const;

/** Transcript entries the model sees at most (the newest); older ones are left out. */
const MAX_HISTORY_ENTRIES = 400;
const TRANSCRIPT_PAGE = 1000;

/** What a turn needs from the service. */
export interface TurnServiceDeps {
  db: Queryable;
  toolCalls: ToolCalls;
  keyring?: Keyring;
  /** Default: the `openai` client ({@link createOpenAIChatModel}). */
  modelFactory?: ChatModelFactory;
  log?: Pick<Logger, 'warn'>;
}

/** One turn as the API receives it. */
export interface TurnRequest {
  tenantId: string;
  conversationId: string;
  text: string;
  /** An explicit answer to the pending confirmation; without it the text is classified. */
  confirmation?: boolean;
  /**
   * The topic of the turn: its actions join the agent's top-level ones (its copy replacing a
   * same-named top-level action), its every-turn / after-turn actions run, and its instructions
   * follow the agent's.
   */
  topic?: string;
  /**
   * The request's Idempotency-Key. A repeat answers with the finished turn's outcome (no LLM
   * call, nothing kept again); a repeat after a failed attempt runs the turn again under the
   * same turn id without keeping the user's text twice. Another request under the same key
   * (other text, confirmation or topic) is refused with `idempotency_key_reused` (422).
   */
  idempotencyKey?: string;
}

/** What the turn did, with its id. */
export interface TurnOutcome extends TurnResult {
  turnId: string;
  /** The outcome stored for the request's Idempotency-Key, not a new run of the turn. */
  replayed?: boolean;
}

/**
 * Runs one agent turn of a conversation (see the module comment). One turn per conversation at
 * a time: a turn that overlaps another fails with `turn_in_progress` (409), rather than
 * interleave two transcripts.
 */
export async function runConversationTurn(deps: TurnServiceDeps, req: TurnRequest): Promise<TurnOutcome> {
  if (!isPool(deps.db)) return turn(deps, req);
  const locked = await withConversationTurnLock(deps.db, req.conversationId, () => turn(deps, req));
  if (!locked.locked) {
    throw new SwitchboardError(TurnErrorCodes.TurnInProgress, 'another turn of this conversation is still running', {
      retryable: true,
    });
  }
  return locked.value;
}

function isPool(db: Queryable): db is pg.Pool {
  return typeof (db as Partial<pg.Pool>).connect === 'function';
}

async function turn(deps: TurnServiceDeps, req: TurnRequest): Promise<TurnOutcome> {
  const { db } = deps;
  const conversation = await findConversation(db, req.tenantId, req.conversationId);
  if (!conversation) throw new NotFoundError('conversation', req.conversationId);
  const key = req.idempotencyKey;
  const requestHash = turnRequestHash(req);
  const earlier = key === undefined ? undefined : await findIdempotentTurn(db, req.tenantId, req.conversationId, key);
  if (earlier !== undefined && earlier.requestHash !== requestHash) {
    // Which part differed is not known: only the hash of the first request is kept.
    throw new IdempotencyKeyReusedError(key ?? '');
  }
  // Answered even after the conversation ended: the turn happened before.
  if (earlier?.outcome !== undefined) return { ...(earlier.outcome as unknown as TurnOutcome), replayed: true };
  if (conversation.status === 'ended') throw new ConflictError('the conversation has ended');
  // The agent the conversation is with now (a handoff's target): its instructions, actions and LLM.
  const active = await activeAgentOf(db, req.tenantId, conversation);
  const { agent } = active;
  // Without an explicit topic, the topic a handoff moved the conversation into.
  const topicName = req.topic ?? active.topic;
  const llm = await findAgentLlmSettings(db, req.tenantId, agent.id);
  if (!llm) {
    throw new SwitchboardError(
      TurnErrorCodes.LlmNotConfigured,
      `agent '${agent.name}' has no LLM settings; save it with 'llm' to run turns`,
    );
  }
  const apiKey = await llmApiKey(deps, req.tenantId, llm.credential);
  await assertLlmEndpointAllowed(llm.baseUrl, llm.allowPrivate);

  const topLevel = (await listAgentActions(db, req.tenantId, agent.id)).map(
    (row) => row.canonical as unknown as CanonicalAction,
  );
  const variables = {
    contact: conversation.contact,
    user: conversation.user,
    context: { ...conversation.call, conversation_id: conversation.id },
  };
  let actions = topLevel;
  let instructions = renderInstructions(agent.instructions, variables);
  let ownActions: ReadonlySet<string> = new Set();
  if (topicName !== undefined) {
    const topic = (await findAgentTopics(db, req.tenantId, agent.id)).topics.find((t) => t.name === topicName);
    if (!topic) throw new NotFoundError('topic', topicName);
    const rows = await listAgentTopicActions(db, req.tenantId, agent.id, { topic: topic.name });
    const inTopic = topicTurnActions(
      topLevel,
      rows.map((row) => row.canonical as unknown as CanonicalAction),
    );
    actions = inTopic.actions;
    ownActions = inTopic.own;
    instructions = topicTurnInstructions(
      instructions,
      topic,
      topic.instructions === undefined ? undefined : renderInstructions(topic.instructions, variables),
    );
  }
  const [entries, runs, pending] = await Promise.all([
    readTranscript(db, req.tenantId, req.conversationId),
    listRuns(db, req.tenantId, req.conversationId),
    findTurnConfirmation(db, req.tenantId, req.conversationId),
  ]);
  const outputs = new Map(runs.map((r) => [r.intentId, outputsOf(r.result)]));
  // A failed earlier attempt kept the user's text at `userSeq`: the history ends before it,
  // and what that attempt did after it follows the text, as it happened.
  const userSeq = earlier?.userSeq;
  const before = userSeq === undefined ? entries : entries.filter((e) => e.seq < userSeq);
  const history = historyFromTranscript(before.slice(-MAX_HISTORY_ENTRIES), outputs, actions);
  const resumed =
    userSeq === undefined
      ? undefined
      : historyFromTranscript(
          // The confirmation this turn answers is answered again by the loop (the control is
          // idempotent); its result from the failed attempt would show the model it twice.
          entries.filter(
            (e) => e.seq > userSeq && !(e.kind === 'tool_result' && pending && e.toolCall.id === pending.callId),
          ),
          outputs,
          actions,
        );

  const runner: ToolRunner = {
    call: (call) =>
      deps.toolCalls.call({
        tenantId: req.tenantId,
        conversationId: req.conversationId,
        name: call.action,
        arguments: call.arguments,
        idempotencyKey: call.idempotencyKey,
        ...(topicName !== undefined && ownActions.has(call.action) ? { topic: topicName } : {}),
      }),
    control: (callId, kind) =>
      deps.toolCalls.control({ tenantId: req.tenantId, conversationId: req.conversationId, intentId: callId, kind }),
  };
  const turnId = earlier?.turnId ?? `turn_${randomBytes(12).toString('hex')}`;
  if (key !== undefined && earlier === undefined) {
    await beginIdempotentTurn(db, {
      tenantId: req.tenantId,
      conversationId: req.conversationId,
      key,
      requestHash,
      turnId,
    });
  }
  const model = (deps.modelFactory ?? createOpenAIChatModel)({ baseUrl: llm.baseUrl, apiKey, model: llm.model });
  const result = await runTurn(
    {
      turnId,
      userText: req.text,
      instructions,
      history,
      ...(resumed !== undefined ? { userTextKept: true, resumed } : {}),
      actions,
      ...(pending ? { pending } : {}),
      ...(req.confirmation !== undefined ? { confirmation: req.confirmation } : {}),
    },
    {
      model,
      tools: runner,
      transcript: {
        said: async (role, text) => {
          const appended = await appendTranscriptMessage(db, req.tenantId, req.conversationId, role, text);
          // Ended while the turn ran: the words were still said; the transcript is closed.
          if (appended.status !== 'appended') {
            deps.log?.warn({ conversationId: req.conversationId, status: appended.status }, 'turn message not kept');
          } else if (role === 'user' && key !== undefined) {
            await keepIdempotentTurnUserSeq(db, req.tenantId, req.conversationId, key, appended.message.seq);
          }
        },
      },
    },
  );
  // The previous confirmation, if any, was answered by this turn; only a new one stays.
  if (pending || result.pendingConfirmation) {
    await setTurnConfirmation(db, req.tenantId, req.conversationId, result.pendingConfirmation ?? null);
  }
  const outcome: TurnOutcome = { turnId, ...result };
  if (key !== undefined) {
    await finishIdempotentTurn(db, req.tenantId, req.conversationId, key, outcome as unknown as JsonObject);
  }
  return outcome;
}

/** What an Idempotency-Key stands for: the text, the explicit confirmation and the topic. */
function turnRequestHash(req: TurnRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([req.text, req.confirmation ?? null, req.topic ?? null]))
    .digest('hex');
}

/** The API key of the agent's LLM credential (never logged, never returned). */
async function llmApiKey(deps: TurnServiceDeps, tenantId: string, name: string): Promise<string> {
  if (!deps.keyring) {
    throw new SwitchboardError(
      TurnErrorCodes.CredentialsUnavailable,
      'this deployment has no CREDENTIALS_KEYS configured, so the LLM credential cannot be read',
    );
  }
  const credential = await readCredential(deps.db, deps.keyring, tenantId, name);
  const apiKey = credential.secret.apiKey;
  if (credential.provider !== CredentialProviders.OpenAI || typeof apiKey !== 'string' || apiKey === '') {
    throw new SwitchboardError(
      TurnErrorCodes.LlmCredentialInvalid,
      `credential '${name}' must be an 'openai' credential with an apiKey (it is a ${credential.provider} credential)`,
    );
  }
  return apiKey;
}

/** The whole transcript, page by page (it is cut to the newest entries afterwards). */
async function readTranscript(db: Queryable, tenantId: string, conversationId: string): Promise<TranscriptEntry[]> {
  const entries: TranscriptEntry[] = [];
  for (;;) {
    const page = await listTranscript(db, tenantId, conversationId, {
      after: entries.at(-1)?.seq ?? 0,
      limit: TRANSCRIPT_PAGE,
    });
    entries.push(...page);
    if (page.length < TRANSCRIPT_PAGE) return entries;
  }
}

function outputsOf(result: unknown): JsonObject {
  const outputs = (result as { outputs?: unknown } | null)?.outputs;
  return outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs) ? (outputs as JsonObject) : {};
}
