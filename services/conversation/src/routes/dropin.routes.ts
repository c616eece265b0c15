/**
 * Drop-in endpoints for voice runtimes that call tools over HTTP: point the runtime's tool
 * server at Switchboard and the agent's actions run as durable chains, unchanged.
 *
 * - `POST /v1/dropin/vapi/:agent` — a Vapi server URL (`tool-calls` messages).
 * - `POST /v1/dropin/retell/:agent` — a Retell custom function URL.
 *
 * Authentication is the tenant API key like every `/v1` route: configure the runtime to send
 * `Authorization: Bearer sb_key_…` (Vapi: a Bearer-token credential or a custom header on the
 * server URL; Retell: a request header on the custom function). Retell requests can also be
 * held to Retell's signature: `?signature_credential=<name>` names a `retell` credential (the
 * API key with the webhook badge), and a request without a valid, fresh `X-Retell-Signature`
 * over its raw body is refused with 401 before anything runs.
 *
 * Conversations: one per runtime call, keyed by the runtime's call id (`message.call.id`,
 * `call.call_id`) and the agent in the path. The first tool call of a call creates the
 * conversation, with the call's customer number as `call.from` and `contact.phone`, the
 * number called as `call.to` (an outbound call the other way round: `call.from` is always the
 * customer), the Twilio CallSid as `call.sid` when the call runs over Twilio, and the runtime's
 * variables (Vapi `assistantOverrides.variableValues`, Retell `retell_llm_dynamic_variables`)
 * as contact variables; later tool calls of the call reuse it, so chain state carries over.
 * `?sandbox=true` makes a new conversation a test call.
 *
 * Idempotency: Vapi's tool call id is the Idempotency-Key, so a redelivered webhook runs each
 * tool call once and answers with the stored result; a tool call id sent again with another
 * tool or other arguments runs nothing and is answered as rejected (`idempotency_key_reused`).
 * Retell sends no id; the key is derived from the call id, the function name and the
 * arguments' hash ({@link retellIdempotencyKey}), so other arguments are another call.
 *
 * A chain that fails or is cancelled is an answer (200), never a 5xx: the model reads why.
 */
import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox';
import { CallChannels, type JsonObject, NotFoundError, SwitchboardError, ValidationError } from '@switchboard/common';
import {
  CredentialProviders,
  findAgentByName,
  findOrCreateExternalConversation,
  readCredential,
} from '@switchboard/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AgentTools,
  type DropinOutcome,
  e164,
  loadAgentTools,
  object,
  rejected,
  retellIdempotencyKey,
  runDropinToolCall,
  text,
} from '../dropin.js';
import { UnauthorizedError } from '../errors.js';
import { inRequestContext } from '../request-context.js';
import { verifyRetellSignature } from '../retell-signature.js';
import { Scopes } from '../scopes.js';
import { parseToolArguments } from '../tool-arguments.js';
import { DropinRetellSchema, DropinVapiSchema, type VapiResult, type VapiToolCall } from './dropin.schemas.js';

/** The agent of the path, for this tenant; another tenant's agent is not found. */
async function agentTools(app: FastifyInstance, req: FastifyRequest, name: string): Promise<AgentTools> {
  const agent = await findAgentByName(app.deps.db, req.principal.tenantId, name);
  if (!agent) throw new NotFoundError('agent', name);
  return loadAgentTools(app.deps.db, req.principal.tenantId, agent);
}

/** Vapi call → conversation contact, call context and the call's Live Call Control URL. */
function vapiContext(message: Record<string, unknown>): { contact: JsonObject; call: JsonObject; controlUrl?: string } {
  const call = object(message.call) ?? {};
  // Present when the assistant has `monitorPlan.controlEnabled`; call-control steps need it.
  const controlUrl = text(object(call.monitor)?.controlUrl);
  const customer = object(message.customer) ?? object(call.customer) ?? {};
  const phoneNumber = object(message.phoneNumber) ?? object(call.phoneNumber) ?? {};
  const customerNumber = e164(customer.number);
  const ourNumber = e164(phoneNumber.number);
  const sid = call.phoneCallProvider === 'twilio' ? text(call.phoneCallProviderId) : undefined;
  const variables = object(object(call.assistantOverrides)?.variableValues) ?? {};
  const name = text(customer.name);
  return {
    contact: { ...(customerNumber ? { phone: customerNumber } : {}), ...(name ? { name } : {}), ...variables },
    call: {
      ...(sid ? { sid } : {}),
      ...(customerNumber ? { from: customerNumber } : {}),
      ...(ourNumber ? { to: ourNumber } : {}),
    },
    ...(controlUrl ? { controlUrl } : {}),
  };
}

/** Retell call → conversation contact and call context. */
function retellContext(call: Record<string, unknown>): { contact: JsonObject; call: JsonObject } {
  const outbound = call.direction === 'outbound';
  const customerNumber = e164(outbound ? call.to_number : call.from_number);
  const ourNumber = e164(outbound ? call.from_number : call.to_number);
  const sid = text(object(call.telephony_identifier)?.twilio_call_sid);
  const variables = object(call.retell_llm_dynamic_variables) ?? {};
  return {
    contact: { ...(customerNumber ? { phone: customerNumber } : {}), ...variables },
    call: {
      ...(sid ? { sid } : {}),
      ...(customerNumber ? { from: customerNumber } : {}),
      ...(ourNumber ? { to: ourNumber } : {}),
    },
  };
}

/**
 * Refuses a Retell request whose `X-Retell-Signature` does not verify with the named `retell`
 * credential's key over the raw body (see {@link verifyRetellSignature}).
 */
async function checkRetellSignature(app: FastifyInstance, req: FastifyRequest, credential: string): Promise<void> {
  const keyring = app.deps.keyring;
  if (!keyring) {
    throw new SwitchboardError(
      'credentials_unavailable',
      'this deployment has no CREDENTIALS_KEYS configured, so the Retell credential cannot be read',
    );
  }
  const stored = await readCredential(app.deps.db, keyring, req.principal.tenantId, credential);
  const apiKey = stored.secret.apiKey;
  if (stored.provider !== CredentialProviders.Retell || typeof apiKey !== 'string') {
    throw new SwitchboardError(
      'credential_invalid',
      `credential '${credential}' must be a 'retell' credential with an apiKey (it is a ${stored.provider} credential)`,
    );
  }
  const header = req.headers['x-retell-signature'];
  const problem = verifyRetellSignature(
    rawBodies.get(req) ?? '',
    apiKey,
    typeof header === 'string' ? header : undefined,
    Date.now(),
  );
  if (problem !== undefined) {
    const why = {
      missing: 'is missing',
      malformed: "is not 'v=<unix ms>,d=<hex digest>'",
      expired: 'is more than 5 minutes old or ahead',
      mismatch: `does not match the body signed with credential '${credential}'`,
    }[problem];
    throw new UnauthorizedError(`X-Retell-Signature ${why}`);
  }
}

/** Raw JSON bodies of this plugin's requests: Retell signs the bytes it sent, not a re-serialization. */
const rawBodies = new WeakMap<FastifyRequest, string>();

/** Vapi (`/v1/dropin/vapi/:agent`) and Retell (`/v1/dropin/retell/:agent`) tool-call webhooks. */
export const dropinRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Fastify's own JSON parser (prototype-poisoning checks, body limit), keeping the raw text.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    rawBodies.set(req, body as string);
    parseJson(req, body as string, done);
  });

  app.post(
    '/dropin/vapi/:agent',
    {
      // A voice runtime's key needs only the `conversations` scope.
      config: { scope: Scopes.Conversations },
      schema: DropinVapiSchema,
    },
    async (req) => {
      const { message } = req.body;
      // A server URL also receives status updates, transcripts and reports: acknowledged, unused.
      if (message.type !== 'tool-calls') return {};
      const entries: VapiToolCall[] =
        message.toolCallList ??
        (message.toolWithToolCallList ?? []).flatMap((t) => (t.toolCall === undefined ? [] : [t.toolCall]));
      const callId = message.call?.id;
      if (callId === undefined) {
        throw new ValidationError('a tool-calls message needs message.call.id', [
          { pointer: '/message/call/id', message: 'required: the call the tool calls belong to' },
        ]);
      }
      const tools = await agentTools(app, req, req.params.agent);
      const tenantId = req.principal.tenantId;
      const { conversation } = await findOrCreateExternalConversation(app.deps.db, {
        tenantId,
        agentId: tools.agent.id,
        externalId: `vapi:${callId}`,
        channel: CallChannels.Vapi,
        ...vapiContext(message as Record<string, unknown>),
        sandbox: req.query.sandbox === 'true',
      });
      const results: Static<typeof VapiResult>[] = [];
      // In order, one after the other: later calls may read what earlier ones wrote.
      for (const entry of entries) {
        const name = entry.name ?? entry.function?.name ?? '';
        const args = parseToolArguments(entry.arguments ?? entry.function?.arguments);
        const outcome: DropinOutcome =
          name === ''
            ? rejected('validation_failed', 'the tool call has no name')
            : typeof args === 'string'
              ? rejected('validation_failed', `'${name}': ${args}`)
              : await inRequestContext(req.otel.context, () =>
                  runDropinToolCall(app.toolCalls, {
                    tenantId,
                    conversationId: conversation.id,
                    tools,
                    name,
                    arguments: args,
                    idempotencyKey: entry.id,
                  }),
                );
        results.push({
          toolCallId: entry.id,
          name,
          result: outcome.text,
          ...(outcome.failed ? { error: outcome.text } : {}),
        });
      }
      return { results };
    },
  );

  app.post(
    '/dropin/retell/:agent',
    {
      // A voice runtime's key needs only the `conversations` scope.
      config: { scope: Scopes.Conversations },
      schema: DropinRetellSchema,
    },
    async (req) => {
      const signedWith = req.query.signature_credential;
      if (signedWith !== undefined) await checkRetellSignature(app, req, signedWith);
      const tools = await agentTools(app, req, req.params.agent);
      const tenantId = req.principal.tenantId;
      const callId = req.body.call.call_id;
      const { conversation } = await findOrCreateExternalConversation(app.deps.db, {
        tenantId,
        agentId: tools.agent.id,
        externalId: `retell:${callId}`,
        channel: CallChannels.Retell,
        ...retellContext(req.body.call as Record<string, unknown>),
        sandbox: req.query.sandbox === 'true',
      });
      const args = parseToolArguments(req.body.args);
      const outcome =
        typeof args === 'string'
          ? rejected('validation_failed', `'${req.body.name}': ${args}`)
          : await inRequestContext(req.otel.context, () =>
              runDropinToolCall(app.toolCalls, {
                tenantId,
                conversationId: conversation.id,
                tools,
                name: req.body.name,
                arguments: args,
                idempotencyKey: retellIdempotencyKey(callId, req.body.name, args),
              }),
            );
      return {
        result: outcome.text,
        status: outcome.status,
        outputs: outcome.outputs,
        ...(outcome.error ? { error: outcome.error } : {}),
      };
    },
  );
};
