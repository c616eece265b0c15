/**
 * Each agent's actions as an MCP server (Streamable HTTP, spec 2025-06-18) at `/v1/mcp/:agent`,
 * served by the official SDK (`@modelcontextprotocol/sdk`).
 *
 * - **Auth:** the tenant API key, `Authorization: Bearer sb_key_…`, like every `/v1` route (MCP
 *   clients send it as a configured header). An agent of another tenant is a 404.
 * - **Stateless:** every POST gets its own server and transport, so any replica can answer and
 *   no session outlives a request; no `Mcp-Session-Id` is issued. `GET` (a standalone SSE stream
 *   for server-initiated messages, of which there are none) and `DELETE` (ending a session, of
 *   which there is none) answer 405, as the transport spec allows. Responses are JSON.
 * - **tools/list:** the agent's published actions, exported by `@switchboard/agents` (name,
 *   title, description, the parameters' JSON Schema as `inputSchema`, annotations, and
 *   Switchboard metadata in `_meta`); actions that run on every turn are left out.
 * - **tools/call:** runs the action as a tool call of a conversation of the agent: the one named
 *   by `params._meta.conversationId`, else by the `Switchboard-Conversation` request header
 *   (clients that cannot set `_meta` configure it per connection), else a new conversation
 *   (`?sandbox=true`: a test call) — each call then starts fresh. The result's
 *   `_meta.conversationId` names the conversation, so a client can pass it on to keep chain state.
 *   `params._meta.idempotencyKey` makes a retried call run once: sent again with the same tool
 *   and arguments it answers with the first run; with other ones it is refused (`isError: true`,
 *   `idempotency_key_reused`) and nothing runs. Keys are per conversation; a call with a key and
 *   no conversation runs in the one its key's first call created (`mcp:<key>`), so its retry
 *   finds it rather than running again in a new one.
 * - **Results:** `content` is one text block (the messages, then `Outputs: {…}`), and
 *   `structuredContent` the outputs the agent may see. A chain that fails or is cancelled — an
 *   invalid argument included — is `isError: true` with its reason, so the model can correct
 *   itself; an unknown tool or conversation is a JSON-RPC error (`-32602`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { CallChannels, type JsonObject, NotFoundError } from '@switchboard/common';
import {
  type Conversation,
  createConversation,
  findAgentByName,
  findConversation,
  findOrCreateExternalConversation,
} from '@switchboard/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AgentTools, loadAgentTools, object, resolveActionName, runDropinToolCall, text } from '../dropin.js';
import { inRequestContext } from '../request-context.js';
import { Scopes } from '../scopes.js';
import { CONVERSATION_HEADER, McpDocumentedBody, McpNotAllowedSchema, PostMcpSchema } from './mcp.schemas.js';

/** MCP servers, one per agent, at `/v1/mcp/:agent`. */
export const mcpRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // An MCP client's key needs only the `conversations` scope.
  const config = { scope: Scopes.Conversations };

  async function agentTools(req: FastifyRequest, name: string): Promise<AgentTools> {
    const agent = await findAgentByName(app.deps.db, req.principal.tenantId, name);
    if (!agent) throw new NotFoundError('agent', name);
    return loadAgentTools(app.deps.db, req.principal.tenantId, agent);
  }

  /** The conversation a tools/call runs in (see the module comment). */
  async function conversationFor(
    req: FastifyRequest,
    tools: AgentTools,
    meta: Record<string, unknown> | undefined,
    sandbox: boolean,
  ): Promise<Conversation> {
    const header = req.headers[CONVERSATION_HEADER];
    const named = text(meta?.conversationId) ?? (typeof header === 'string' ? text(header.trim()) : undefined);
    const tenantId = req.principal.tenantId;
    if (named === undefined) {
      // A key is scoped to its conversation: a retried call without one must find the
      // conversation its first attempt created, or it would run again in a new one.
      const key = text(meta?.idempotencyKey);
      if (key === undefined) return createConversation(app.deps.db, tenantId, tools.agent.id, {}, {}, { sandbox });
      const { conversation } = await findOrCreateExternalConversation(app.deps.db, {
        tenantId,
        agentId: tools.agent.id,
        externalId: `mcp:${key}`,
        // An MCP client has no call of its own to control.
        channel: CallChannels.None,
        sandbox,
      });
      return conversation;
    }
    const conversation = await findConversation(app.deps.db, tenantId, named);
    if (!conversation || conversation.agentId !== tools.agent.id) {
      throw new McpError(ErrorCode.InvalidParams, `agent '${tools.agent.name}' has no conversation '${named}'`);
    }
    return conversation;
  }

  /** An MCP server for one request, over the agent's tools. */
  function serverFor(req: FastifyRequest, tools: AgentTools, sandbox: boolean): McpServer {
    const mcp = new McpServer({ name: `switchboard-${tools.agent.name}`, version: '1.0.0' });
    // The tools' JSON Schemas come from the agent export as they are; McpServer's own tool
    // registry wants zod schemas, so the list and call handlers go on its protocol server.
    mcp.server.registerCapabilities({ tools: { listChanged: false } });
    mcp.server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: tools.mcpTools as unknown as Tool[],
    }));
    mcp.server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
      const { name } = request.params;
      if (resolveActionName(tools, name) === undefined) {
        throw new McpError(ErrorCode.InvalidParams, `unknown tool '${name}'`);
      }
      const meta = object(request.params._meta);
      const conversation = await conversationFor(req, tools, meta, sandbox);
      const idempotencyKey = text(meta?.idempotencyKey);
      const outcome = await inRequestContext(req.otel.context, () =>
        runDropinToolCall(app.toolCalls, {
          tenantId: req.principal.tenantId,
          conversationId: conversation.id,
          tools,
          name,
          arguments: (request.params.arguments ?? {}) as JsonObject,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        }),
      );
      return {
        content: [{ type: 'text', text: outcome.text }],
        structuredContent: outcome.outputs,
        ...(outcome.failed ? { isError: true } : {}),
        _meta: {
          conversationId: conversation.id,
          ...(outcome.id !== undefined ? { toolCallId: outcome.id } : {}),
          status: outcome.status,
        },
      };
    });
    return mcp;
  }

  app.post(
    '/mcp/:agent',
    {
      config: {
        ...config,
        // The document shows the JSON-RPC body; the SDK, not Fastify, validates it, so that a
        // client gets the JSON-RPC errors MCP defines.
        swaggerTransform: ({ schema: documented, url }) => ({
          schema: { ...documented, body: McpDocumentedBody },
          url,
        }),
      },
      schema: PostMcpSchema,
    },
    async (req, reply) => {
      const tools = await agentTools(req, req.params.agent);
      const mcp = serverFor(req, tools, req.query.sandbox === 'true');
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.raw.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      // HTTP: no Accept, or */*, accepts anything; the transport wants both of its types named.
      const accept = req.raw.headers.accept?.trim();
      if (accept === undefined || accept === '' || accept === '*/*') {
        req.raw.headers.accept = 'application/json, text/event-stream';
      }
      // The transport writes the response itself (Node request/response), with the body Fastify parsed.
      reply.hijack();
      await transport.handleRequest(req.raw, reply.raw, req.body);
    },
  );

  const notAllowed = async (req: FastifyRequest<{ Params: { agent: string } }>, reply: FastifyReply) => {
    await agentTools(req, req.params.agent);
    return reply
      .status(405)
      .header('allow', 'POST')
      .send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: stateless server' }, id: null });
  };
  app.get('/mcp/:agent', { config, schema: McpNotAllowedSchema }, notAllowed);
  app.delete('/mcp/:agent', { config, schema: McpNotAllowedSchema }, notAllowed);
};
