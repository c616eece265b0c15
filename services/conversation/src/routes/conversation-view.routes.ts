import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import { findAgentById, findConversation } from '@switchboard/db';
import { activeAgentOf } from '../active-agent.js';
import { Scopes } from '../scopes.js';
import { GetConversationSchema } from './conversation-view.schemas.js';

/** `GET /v1/conversations/:id`: the conversation as it stands (active agent after handoffs, user context). */
export const conversationViewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/conversations/:id',
    {
      config: { scope: Scopes.Read },
      schema: GetConversationSchema,
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const conversation = await findConversation(app.deps.db, tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      const [first, active] = await Promise.all([
        findAgentById(app.deps.db, tenantId, conversation.agentId),
        activeAgentOf(app.deps.db, tenantId, conversation),
      ]);
      return {
        id: conversation.id,
        status: conversation.status,
        agent: first?.name ?? active.agent.name,
        activeAgent: active.agent.name,
        topic: active.topic ?? null,
        sandbox: conversation.sandbox,
        channel: conversation.channel,
        user: conversation.user,
        contact: conversation.contact,
        call: conversation.call,
        createdAt: conversation.createdAt.toISOString(),
      };
    },
  );
};
