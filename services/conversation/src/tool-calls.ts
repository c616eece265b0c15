import { type Bus, publishDurable } from '@switchboard/bus';
import { type JsonObject, NotFoundError, SwitchboardError } from '@switchboard/common';
import {
  ActionIntentSchema,
  create,
  decodeResult,
  encodeIntent,
  Headers as SbHeaders,
  Streams,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import {
  findAgentById,
  findConversation,
  findPublishedAction,
  findRun,
  IdPrefixes,
  insertAcceptedRun,
  intentIdForKey,
  listAgentActions,
  newId,
  type Queryable,
  TERMINAL_RUN_STATUSES,
} from '@switchboard/db';
import { currentTraceHeaders, SpanKind, type Tracer, traceIdOf, withSpan } from '@switchboard/telemetry';
import { ConflictError } from './errors.js';
import { fromBusResult, fromStoredResult, type ToolCallResponse } from './results.js';

/** Dependencies of {@link ToolCalls}. */
export interface ToolCallDeps {
  db: Queryable;
  bus: Bus;
  tracer: Tracer;
  timeoutMs: number;
}

/** A tool call as the API receives it. */
export interface ToolCallRequest {
  tenantId: string;
  conversationId: string;
  name: string;
  arguments: JsonObject;
  idempotencyKey?: string;
  callContext?: JsonObject;
}

/**
 * Turns tool calls into intents on the bus and waits (bounded) for their results.
 *
 * Exactly-once from the caller's side: the intent id is derived from the Idempotency-Key, the
 * audit row is keyed by it, JetStream drops a repeated publish with the same message id, and
 * a call whose run already finished is answered from the audit row without publishing.
 */
export class ToolCalls {
  constructor(private readonly deps: ToolCallDeps) {}

  async call(req: ToolCallRequest): Promise<ToolCallResponse> {
    const { db } = this.deps;
    const conversation = await findConversation(db, req.tenantId, req.conversationId);
    if (!conversation) throw new NotFoundError('conversation', req.conversationId);
    const intentId =
      req.idempotencyKey !== undefined
        ? intentIdForKey(req.tenantId, req.conversationId, req.idempotencyKey)
        : newId(IdPrefixes.Intent);
    const previous = await findRun(db, req.tenantId, intentId);
    if (previous && previous.actionName !== req.name) {
      throw new ConflictError(`Idempotency-Key was already used for action '${previous.actionName}'`);
    }
    if (previous && TERMINAL_RUN_STATUSES.has(previous.status)) {
      return fromStoredResult(intentId, previous.status, previous.result);
    }
    if (conversation.status === 'ended') throw new ConflictError('the conversation has ended');
    const agent = await findAgentById(db, req.tenantId, conversation.agentId);
    if (!agent) throw new NotFoundError('agent', conversation.agentId);
    const action = await findPublishedAction(db, req.tenantId, agent.id, req.name);
    if (!action) {
      const known = (await listAgentActions(db, req.tenantId, agent.id)).map((a) => a.name);
      throw new SwitchboardError(
        'not_found',
        `agent '${agent.name}' has no action named '${req.name}' (names are case-sensitive)`,
        {
          details: { known },
        },
      );
    }
    return withSpan(
      this.deps.tracer,
      `publish ${Streams.Intents}`,
      { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'switchboard.intent_id': intentId } },
      async () => {
        const trace = currentTraceHeaders();
        const subject = Subjects.result(req.conversationId, intentId);
        // Subscribe before publishing, so a fast result cannot slip past us.
        const sub = this.deps.bus.nc.subscribe(subject, { max: 1 });
        try {
          const inserted = await insertAcceptedRun(db, {
            intentId,
            tenantId: req.tenantId,
            conversationId: req.conversationId,
            actionName: req.name,
            arguments: req.arguments,
            traceId: traceIdOf(trace.traceparent),
          });
          const intent = create(ActionIntentSchema, {
            intentId,
            tenantId: req.tenantId,
            conversationId: req.conversationId,
            agentId: agent.id,
            agentName: agent.name,
            actionName: req.name,
            arguments: req.arguments,
            action: action.canonical,
            callContext: { contact: conversation.contact, call: conversation.call, ...(req.callContext ?? {}) },
            createdAt: timestampFromMs(Date.now()),
            trace,
          });
          try {
            await publishDurable(
              this.deps.bus.js,
              Subjects.intent(req.tenantId, req.conversationId),
              encodeIntent(intent),
              intentId,
              trace,
              {
                [SbHeaders.Tenant]: req.tenantId,
              },
            );
          } catch (err) {
            // Nothing half-done: without a published intent, the accepted row must not stay.
            if (inserted)
              await db.query(`DELETE FROM action_runs WHERE intent_id = $1 AND status = 'accepted'`, [intentId]);
            throw err;
          }
          if (!inserted) {
            // A retry of a call in progress: its result may already be on the stream.
            const stored = await this.lastResult(req.conversationId, intentId);
            if (stored) return stored;
          }
          return await this.waitForResult(sub, intentId);
        } finally {
          sub.unsubscribe();
        }
      },
    );
  }

  private async lastResult(conversationId: string, intentId: string): Promise<ToolCallResponse | undefined> {
    const msg = await this.deps.bus.jsm.direct
      .getMessage(Streams.Events, { last_by_subj: Subjects.result(conversationId, intentId) })
      .catch(() => null);
    return msg ? fromBusResult(decodeResult(msg.data)) : undefined;
  }

  private async waitForResult(sub: AsyncIterable<{ data: Uint8Array }>, intentId: string): Promise<ToolCallResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.deps.timeoutMs);
    });
    const first = (async () => {
      for await (const m of sub) return fromBusResult(decodeResult(m.data));
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
