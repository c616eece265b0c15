import { createHash } from 'node:crypto';
import {
  type ActionMessages,
  type CanonicalAction,
  deliversLater,
  localizeMessages,
  toolCallWaitMs,
} from '@switchboard/actions';
import { type Bus, publishDurable } from '@switchboard/bus';
import { checkJson, type JsonObject, NotFoundError, SwitchboardError, ValidationError } from '@switchboard/common';
import {
  ActionEventKind,
  ActionIntentSchema,
  ControlKind,
  create,
  decodeEvent,
  decodeResult,
  encodeIntent,
  MessageKinds,
  Headers as SbHeaders,
  Streams,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import {
  type ActionDefinitionRow,
  type ActionRun,
  type Agent,
  findAgentTopics,
  findConversationWithAgent,
  findPublishedAction,
  findRun,
  IdPrefixes,
  insertAcceptedRun,
  intentIdForKey,
  listAgentActions,
  listAgentTopicActions,
  newId,
  type Queryable,
  TERMINAL_RUN_STATUSES,
  withdrawAcceptedRun,
} from '@switchboard/db';
import { currentTraceHeaders, SpanKind, type Tracer, traceIdOf, withSpan } from '@switchboard/telemetry';
import { publishAccepted } from './accepted-event.js';
import { activeAgentOf, findActiveTopicAction } from './active-agent.js';
import { statusOfActions } from './agent-status.js';
import { answerEarly, progressText } from './async-answer.js';
import { publishControl } from './controls.js';
import { ActionNotConfiguredError, ConflictError, IdempotencyKeyReusedError } from './errors.js';
import { requestDifferences, toolCallRequestHash } from './idempotency.js';
import { fromBusEvent, fromBusResult, fromStoredResult, type ToolCallResponse } from './results.js';
import { DEFAULT_RUN_DEADLINE, planRun, type RunDeadlineSettings } from './run-plan.js';
import type { StageTimes } from './stage-timing.js';

/** What a control request asks of a tool call (see `ConversationControl` in proto/). */
export type ControlRequestKind = 'confirm' | 'decline' | 'cancel' | 'delivered';

/** NATS's default `max_payload`, when the server did not say. */
const DEFAULT_MAX_PAYLOAD = 1_048_576;
/** Room kept for an intent's headers (message id, trace context, tenant) within `max_payload`. */
const HEADER_ROOM_BYTES = 4_096;

/** A control request as the API receives it. */
export interface ControlRequest {
  tenantId: string;
  conversationId: string;
  /** The tool call (run) it concerns. */
  intentId: string;
  kind: ControlRequestKind;
}

const CONTROL_KINDS: Record<ControlRequestKind, ControlKind> = {
  confirm: ControlKind.CONFIRM,
  decline: ControlKind.DECLINE,
  cancel: ControlKind.CANCEL,
  delivered: ControlKind.DELIVERED,
};

/**
 * The id of a control: one per (tool call, kind), so a retried API request is one message
 * (JetStream de-duplication) and one signal (the session de-duplicates by id).
 */
export function controlIdFor(intentId: string, kind: ControlRequestKind): string {
  return `ctl_${createHash('sha256').update(`${intentId}\u0000${kind}`).digest('hex').slice(0, 32)}`;
}

/** Dependencies of {@link ToolCalls}. */
export interface ToolCallDeps {
  db: Queryable;
  bus: Bus;
  tracer: Tracer;
  timeoutMs: number;
  /** How each run's deadline is set (default {@link DEFAULT_RUN_DEADLINE}). */
  runDeadline?: RunDeadlineSettings;
}

/** A tool call as the API receives it. */
export interface ToolCallRequest {
  tenantId: string;
  conversationId: string;
  name: string;
  arguments: JsonObject;
  /**
   * Bound to the request it is first used for ({@link toolCallRequestHash}): the same request
   * again runs nothing new and answers with that run; another one is refused with
   * `idempotency_key_reused`.
   */
  idempotencyKey?: string;
  callContext?: JsonObject;
  /**
   * The topic the call is made in: that topic's own copy of the action runs (a top-level
   * action when the topic has none of that name). Without it, see {@link resolveToolCallAction}.
   */
  topic?: string;
}

/**
 * Turns tool calls into intents on the bus and waits (bounded) for their results.
 *
 * Exactly-once from the caller's side: the intent id is derived from the Idempotency-Key, the
 * audit row is keyed by it, a retry whose intent already shows on the events stream publishes
 * nothing, JetStream drops a repeated publish with the same message id (within what it
 * remembers), and a call whose run already finished is answered from the audit row without
 * publishing. The row keeps a hash of the request the key was first used for; another request
 * under the key (even one racing the first) is refused before anything is published.
 */
export class ToolCalls {
  constructor(private readonly deps: ToolCallDeps) {}

  /**
   * Runs a tool call; `times`, when given, gets a mark at the end of each stage until the
   * call is accepted (see stage-timing.ts).
   */
  async call(req: ToolCallRequest, times?: StageTimes): Promise<ToolCallResponse> {
    const { db } = this.deps;
    // The API checks every body already; this holds the funnel itself to what makes an intent
    // decodable and storable, whatever entry the arguments came through.
    const issues = [
      ...checkJson(req.arguments, { pointer: '/arguments' }),
      ...checkJson(req.callContext ?? {}, { pointer: '/callContext' }),
    ];
    if (issues.length > 0) throw new ValidationError('the tool call cannot be accepted', issues);
    // With the agent it is with now and that agent's settings: one round trip for both.
    const read = await findConversationWithAgent(db, req.tenantId, req.conversationId);
    if (!read) throw new NotFoundError('conversation', req.conversationId);
    const { conversation } = read;
    times?.mark('conversation');
    const intentId =
      req.idempotencyKey !== undefined
        ? intentIdForKey(req.tenantId, req.conversationId, req.idempotencyKey)
        : newId(IdPrefixes.Intent);
    const requestHash = toolCallRequestHash(req);
    // Only a key can name a run that exists: a fresh id (96 random bits) has no row yet, so a
    // call without one skips the read (a Postgres round trip before `accepted`).
    let previous: ActionRun | undefined;
    if (req.idempotencyKey !== undefined) {
      previous = await findRun(db, req.tenantId, intentId);
      times?.mark('run');
    }
    if (previous) assertSameRequest(req, previous, requestHash);
    if (previous && TERMINAL_RUN_STATUSES.has(previous.status)) {
      return fromStoredResult(intentId, previous.status, previous.result);
    }
    if (conversation.status === 'ended') throw new ConflictError('the conversation has ended');
    // The agent the conversation is with now (the target of its last handoff, else its own),
    // its locale and runtimes with it: read with the conversation.
    const active = await activeAgentOf(db, req.tenantId, conversation, read);
    const { agent } = active;
    times?.mark('agent');
    // Topics: which copy of the action runs (an agent without topics resolves as it always did);
    // without an explicit topic, the topic a handoff moved the conversation into comes first.
    const action =
      (req.topic === undefined ? await findActiveTopicAction(db, req.tenantId, active, req.name) : undefined) ??
      (await resolveToolCallAction(db, req.tenantId, agent, req.name, req.topic));
    times?.mark('action');
    // Seed: "check action status is 'Configured'". Anything else would only fail, after the call
    // was accepted; refused here, nothing is accepted, published or stored.
    // With the runtimes the agent serves, a call-control step one of them cannot do is Error too.
    const [status] = await statusOfActions(db, req.tenantId, [action], active.runtimes);
    if (status !== undefined && status.status !== 'configured') {
      throw new ActionNotConfiguredError(req.name, status.status, status.problems);
    }
    times?.mark('status');
    const plan = planRun(action.canonical, this.deps.runDeadline ?? DEFAULT_RUN_DEADLINE);
    // Its messages in the agent's locale: the session says them as they are.
    const canonical: JsonObject = {
      ...action.canonical,
      messages: localizeMessages(action.canonical.messages as ActionMessages | undefined, active.locale),
    };
    const asAction = canonical as unknown as CanonicalAction;
    // An async action (or one past its `respond_within_ms`) is answered `running` after this
    // wait; its chain's delivery step delivers the result when it ends.
    // An action that asks for confirmation answers with its question first, whatever `async` says.
    const waitMs = toolCallWaitMs(
      asAction.requireUserConfirmation ? { ...asAction, async: false } : asAction,
      this.deps.timeoutMs,
    );
    return withSpan(
      this.deps.tracer,
      `publish ${Streams.Intents}`,
      { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'switchboard.intent_id': intentId } },
      async () => {
        const trace = currentTraceHeaders();
        // Subscribe before publishing, so a fast result cannot slip past us.
        const sub = this.subscribeToIntent(req.conversationId, intentId);
        try {
          const given = {
            contact: conversation.contact,
            call: conversation.call,
            // `user.*` in chains: the conversation's user context (see user-context.ts).
            ...(Object.keys(conversation.user).length > 0 ? { user: conversation.user } : {}),
            ...(req.callContext ?? {}),
          };
          const givenCall = given.call;
          // The conversation's channel decides where call-control steps go; no request overrides it.
          const callContext = {
            ...given,
            call: {
              ...(givenCall !== null && typeof givenCall === 'object' && !Array.isArray(givenCall) ? givenCall : {}),
              channel: conversation.channel,
            },
          };
          const intent = create(ActionIntentSchema, {
            intentId,
            tenantId: req.tenantId,
            conversationId: req.conversationId,
            agentId: agent.id,
            agentName: agent.name,
            actionName: req.name,
            arguments: req.arguments,
            action: canonical,
            callContext,
            createdAt: timestampFromMs(Date.now()),
            trace,
            sandbox: conversation.sandbox,
          });
          // Before anything is accepted: an intent the bus cannot carry would never run.
          const encoded = encodeIntent(intent);
          this.checkIntentSize(encoded.byteLength, { arguments: req.arguments, action: canonical, callContext });
          const accepted = {
            intentId,
            tenantId: req.tenantId,
            conversationId: req.conversationId,
            actionName: req.name,
            arguments: req.arguments,
            traceId: traceIdOf(trace.traceparent),
            requestHash,
            agentName: agent.name,
            providers: plan.providers,
            deadlineAfterMs: plan.deadlineAfterMs,
          };
          times?.mark('encode');
          let inserted = await insertAcceptedRun(db, accepted);
          if (!inserted) {
            // Another request under the key got its row in first (a retry, or a concurrent
            // request): compare before publishing, so only one of two different requests runs.
            const other = await findRun(db, req.tenantId, intentId);
            if (other) assertSameRequest(req, other, requestHash);
            // Withdrawn meanwhile (its publish failed): ours is the request under the key now.
            else inserted = await insertAcceptedRun(db, accepted);
          }
          times?.mark('insert');
          // A retry of a call in progress: its result (or its question) may already be out, and
          // anything of it on the events stream says its intent was stored before.
          const earlier = inserted ? undefined : await this.onStream(req.conversationId, intentId);
          if (earlier?.outcome) return earlier.outcome;
          // An intent stored before is not published again: its message id makes a repeat a
          // duplicate only while JetStream remembers the id, and it forgets the id of an intent
          // the orchestrator has acked (the work-queue stream deleted it) when the server
          // restarts, and every id after the duplicate window. The stream would then store and
          // deliver the intent twice (the session drops the second copy, by intent id).
          if (earlier?.seen !== true) {
            try {
              await publishDurable(
                this.deps.bus.js,
                Subjects.intent(req.tenantId, req.conversationId),
                encoded,
                intentId,
                trace,
                {
                  [SbHeaders.Tenant]: req.tenantId,
                },
              );
            } catch (err) {
              // Nothing half-done: without a published intent, the accepted row must not stay.
              if (inserted) await withdrawAcceptedRun(db, intentId);
              throw err;
            }
            times?.mark('intent-ack');
          }
          // Speakable at once: the intent is durable, so the call is accepted (see accepted-event.ts).
          if (inserted) {
            await publishAccepted(this.deps.bus, { ...accepted, trace });
            times?.mark('accepted-ack');
          }
          const outcome = await this.waitForOutcome(sub, intentId, { waitMs });
          if (outcome.status !== 'running') return outcome;
          // An action that delivers its result later says what it started: its progress message.
          const running = deliversLater(asAction)
            ? { ...outcome, messages: [progressText(asAction, req.arguments, callContext)] }
            : outcome;
          return await answerEarly(db, { tenantId: req.tenantId, intentId }, running);
        } finally {
          sub.unsubscribe();
        }
      },
    );
  }

  /**
   * Sends a control (confirm, decline, cancel, delivered) for a tool call of the conversation
   * and, except for `delivered`, waits (bounded) for the tool call's outcome.
   */
  async control(req: ControlRequest): Promise<ToolCallResponse> {
    const { db } = this.deps;
    const run = await findRun(db, req.tenantId, req.intentId);
    if (!run || run.conversationId !== req.conversationId) throw new NotFoundError('tool call', req.intentId);
    // A finished call answers with its outcome (a retried confirmation, a cancel that came too
    // late); only `delivered` still matters after the result (a pending end call waits for it).
    if (TERMINAL_RUN_STATUSES.has(run.status) && req.kind !== 'delivered') {
      return fromStoredResult(req.intentId, run.status, run.result);
    }
    const controlId = controlIdFor(req.intentId, req.kind);
    const sub = req.kind === 'delivered' ? undefined : this.subscribeToIntent(req.conversationId, req.intentId);
    try {
      await publishControl(this.deps, {
        controlId,
        tenantId: req.tenantId,
        conversationId: req.conversationId,
        intentId: req.intentId,
        kind: CONTROL_KINDS[req.kind],
      });
      if (sub === undefined) {
        return fromStoredResult(req.intentId, run.status, run.result);
      }
      // The question is already out; only a result ends the wait now.
      const last = await this.lastResult(req.conversationId, req.intentId);
      const outcome = last ?? (await this.waitForOutcome(sub, req.intentId, { resultsOnly: true }));
      // Answered before its result: an async action's chain delivers it when it ends.
      return outcome.status === 'running' ? await answerEarly(db, req, outcome) : outcome;
    } finally {
      sub?.unsubscribe();
    }
  }

  /**
   * Refuses (413) an intent larger than the bus carries: the server's `max_payload` less room
   * for the headers. The message says which part is large (sizes as JSON text).
   */
  private checkIntentSize(bytes: number, parts: Record<string, unknown>): void {
    const limit = (this.deps.bus.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - HEADER_ROOM_BYTES;
    if (bytes <= limit) return;
    const sizes = Object.entries(parts).map(([name, v]) => `${name} ${JSON.stringify(v ?? {}).length} bytes`);
    throw new SwitchboardError(
      'payload_too_large',
      `the tool call is too large to run: ${bytes} bytes on the bus (${sizes.join(', ')}), at most ${limit}`,
      { details: { bytes, limit } },
    );
  }

  /** Results and events of one intent (`sb.conv.<conversation>.*.<intent>`). */
  private subscribeToIntent(conversationId: string, intentId: string) {
    const result = Subjects.result(conversationId, intentId);
    const wildcard = result.replace(`.result.${intentId}`, `.*.${intentId}`);
    return this.deps.bus.nc.subscribe(wildcard);
  }

  /**
   * What the events stream holds of an intent: `seen` when it has a result or any event of it
   * (the first, `accepted`, is published once the intent itself is stored: here right after its
   * publish, else by its session), and the `outcome` to answer with when that is its result or
   * the confirmation it waits for. A stream that does not answer counts as holding nothing.
   */
  private async onStream(
    conversationId: string,
    intentId: string,
  ): Promise<{ seen: boolean; outcome?: ToolCallResponse }> {
    const result = await this.lastResult(conversationId, intentId);
    if (result) return { seen: true, outcome: result };
    const msg = await this.deps.bus.jsm.direct
      .getMessage(Streams.Events, { last_by_subj: Subjects.event(conversationId, intentId) })
      .catch(() => null);
    if (!msg) return { seen: false };
    const event = decodeEvent(msg.data);
    return event.kind === ActionEventKind.CONFIRMATION_REQUIRED
      ? { seen: true, outcome: awaitingConfirmation(intentId, event) }
      : { seen: true };
  }

  private async lastResult(conversationId: string, intentId: string): Promise<ToolCallResponse | undefined> {
    const msg = await this.deps.bus.jsm.direct
      .getMessage(Streams.Events, { last_by_subj: Subjects.result(conversationId, intentId) })
      .catch(() => null);
    return msg ? fromBusResult(decodeResult(msg.data)) : undefined;
  }

  /**
   * Waits (bounded) for the intent's result, or for its confirmation request: a tool call that
   * needs the user's confirmation answers at once with `awaiting_confirmation`.
   */
  private async waitForOutcome(
    sub: AsyncIterable<{ data: Uint8Array; headers?: { get(name: string): string } | undefined }>,
    intentId: string,
    options: { resultsOnly?: boolean; waitMs?: number } = {},
  ): Promise<ToolCallResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), options.waitMs ?? this.deps.timeoutMs);
    });
    const first = (async () => {
      for await (const m of sub) {
        if (m.headers?.get(SbHeaders.Kind) === MessageKinds.Event) {
          if (options.resultsOnly) continue;
          const event = decodeEvent(m.data);
          if (event.kind === ActionEventKind.CONFIRMATION_REQUIRED) return awaitingConfirmation(intentId, event);
          continue;
        }
        return fromBusResult(decodeResult(m.data));
      }
      return undefined;
    })();
    try {
      const result = await Promise.race([first, timeout]);
      if (result) return result;
      // Still running: the caller polls the run or follows the event stream.
      return { id: intentId, status: 'running', messages: [], events: [], outputs: {} };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The published action a tool call runs. With a topic: that topic's own copy, else the
 * top-level action of that name (a topic's tools include the agent's). Without one: the
 * top-level action; else, when exactly one topic has an action of that name, that topic's copy;
 * when several do, a 409 listing them (the caller must say which topic).
 */
export async function resolveToolCallAction(
  db: Queryable,
  tenantId: string,
  agent: Agent,
  name: string,
  topic: string | undefined,
): Promise<ActionDefinitionRow> {
  if (topic !== undefined) {
    const { topics } = await findAgentTopics(db, tenantId, agent.id);
    if (!topics.some((t) => t.name === topic)) {
      throw new SwitchboardError('not_found', `agent '${agent.name}' has no topic named '${topic}'`, {
        details: { what: 'topic', id: topic, known: topics.map((t) => t.name) },
      });
    }
    const own = await findPublishedAction(db, tenantId, agent.id, name, topic);
    const found = own ?? (await findPublishedAction(db, tenantId, agent.id, name));
    if (found) return found;
  } else {
    const topLevel = await findPublishedAction(db, tenantId, agent.id, name);
    if (topLevel) return topLevel;
    const inTopics = await listAgentTopicActions(db, tenantId, agent.id, { name });
    const [only] = inTopics;
    if (only && inTopics.length === 1) return only;
    if (inTopics.length > 1) {
      const topics = inTopics.map((a) => a.topic);
      throw new SwitchboardError(
        'conflict',
        `action '${name}' exists in topics ${topics.map((t) => `'${t}'`).join(', ')}: say which with 'topic'`,
        { details: { action: name, topics } },
      );
    }
  }
  const known = (await listAgentActions(db, tenantId, agent.id)).map((a) => a.name);
  const where = topic === undefined ? '' : ` in topic '${topic}'`;
  throw new SwitchboardError(
    'not_found',
    `agent '${agent.name}' has no action named '${name}'${where} (names are case-sensitive)`,
    {
      details: {
        known,
        ...(topic !== undefined
          ? {
              topic,
              known_in_topic: (await listAgentTopicActions(db, tenantId, agent.id, { topic })).map((a) => a.name),
            }
          : {}),
      },
    },
  );
}

/**
 * Refuses a request under an Idempotency-Key whose stored run was made for another request
 * (422 `idempotency_key_reused`, naming the parts that differ); the same request passes.
 */
function assertSameRequest(req: ToolCallRequest, stored: ActionRun, requestHash: string): void {
  const differs = requestDifferences(stored, req, requestHash);
  if (differs.length > 0) throw new IdempotencyKeyReusedError(req.idempotencyKey ?? '', differs);
}

/** The answer to a tool call that waits for the user's confirmation. */
function awaitingConfirmation(intentId: string, event: Parameters<typeof fromBusEvent>[0]): ToolCallResponse {
  return { id: intentId, status: 'awaiting_confirmation', messages: [], events: [fromBusEvent(event)], outputs: {} };
}
