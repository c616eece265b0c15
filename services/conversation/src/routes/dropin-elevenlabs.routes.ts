/**
 * `POST /v1/dropin/elevenlabs/:agent?tool=NAME` — an ElevenLabs server tool (webhook) URL,
 * beside the Vapi and Retell drop-in endpoints (`dropin.routes.ts`), with the same rules.
 *
 * ElevenLabs posts the tool's request body (the arguments the model filled in) and whatever
 * headers the tool configures; `switchboard export --format elevenlabs` makes tools that send
 * `?tool=` as a constant query parameter and the call's identity as headers filled from system
 * dynamic variables: `X-ElevenLabs-Conversation-Id` (`system__conversation_id`, required),
 * `X-ElevenLabs-Call-Sid`, `X-ElevenLabs-Caller-Id`, `X-ElevenLabs-Called-Number`.
 * Authentication is the tenant API key: configure an `Authorization: Bearer sb_key_…` header
 * on the tool from an ElevenLabs workspace secret.
 *
 * Conversations: one per ElevenLabs conversation (`elevenlabs:<conversation id>`) and agent,
 * created by its first tool call (the caller as `call.from` and `contact.phone`, the number
 * called as `call.to`, the CallSid as `call.sid`); later tool calls reuse it.
 *
 * Idempotency: ElevenLabs sends no tool call id; as for Retell, the key is the conversation
 * id, the tool name and a hash of the arguments, so a retried request runs once.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CallChannels, type JsonObject, NotFoundError } from '@switchboard/common';
import { findAgentByName, findOrCreateExternalConversation } from '@switchboard/db';
import { derivedIdempotencyKey, e164, loadAgentTools, runDropinToolCall, text } from '../dropin.js';
import { inRequestContext } from '../request-context.js';
import { Scopes } from '../scopes.js';
import { DropinElevenLabsSchema } from './dropin-elevenlabs.schemas.js';

/** ElevenLabs call headers → conversation contact and call context. */
export function elevenLabsContext(headers: Record<string, unknown>): { contact: JsonObject; call: JsonObject } {
  const caller = e164(headers['x-elevenlabs-caller-id']);
  const called = e164(headers['x-elevenlabs-called-number']);
  const sid = text(headers['x-elevenlabs-call-sid']);
  return {
    contact: caller ? { phone: caller } : {},
    call: { ...(sid ? { sid } : {}), ...(caller ? { from: caller } : {}), ...(called ? { to: called } : {}) },
  };
}

export const elevenLabsDropinRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/dropin/elevenlabs/:agent',
    {
      // A voice runtime's key needs only the `conversations` scope.
      config: { scope: Scopes.Conversations },
      schema: DropinElevenLabsSchema,
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const agent = await findAgentByName(app.deps.db, tenantId, req.params.agent);
      if (!agent) throw new NotFoundError('agent', req.params.agent);
      const tools = await loadAgentTools(app.deps.db, tenantId, agent);
      const conversationKey = req.headers['x-elevenlabs-conversation-id'];
      const { conversation } = await findOrCreateExternalConversation(app.deps.db, {
        tenantId,
        agentId: agent.id,
        externalId: `elevenlabs:${conversationKey}`,
        channel: CallChannels.ElevenLabs,
        ...elevenLabsContext(req.headers),
        sandbox: req.query.sandbox === 'true',
      });
      const args = req.body as JsonObject;
      const outcome = await inRequestContext(req.otel.context, () =>
        runDropinToolCall(app.toolCalls, {
          tenantId,
          conversationId: conversation.id,
          tools,
          name: req.query.tool,
          arguments: args,
          idempotencyKey: derivedIdempotencyKey('elevenlabs', conversationKey, req.query.tool, args),
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
