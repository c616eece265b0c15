/**
 * API key scopes: what a key may do. Every `/v1` route requires exactly one scope, declared on
 * the route (`config.scope`) or, for routes declared before scopes existed, in
 * {@link ROUTE_SCOPES}. A route with neither requires `admin` (deny by default: a narrowly
 * scoped key never reaches a route nobody classified), and the app warns about it at start.
 */
import { SwitchboardError } from '@switchboard/common';

/** The scopes a key can be given. */
export const Scopes = {
  /** Everything, including managing API keys, credentials and endpoints. */
  Admin: 'admin',
  /** Create, change and publish agents and their actions. */
  AgentsWrite: 'agents:write',
  /** Run conversations: start, tool calls, confirmations/cancel, messages, end, events. */
  Conversations: 'conversations',
  /** Read configuration and history (agents, endpoints, runs, transcripts); implied by every other scope. */
  Read: 'read',
} as const;
export type Scope = (typeof Scopes)[keyof typeof Scopes];

/** Every scope a key can be given through the API. */
export const ALL_SCOPES: readonly Scope[] = Object.values(Scopes);

/** The grant keys made before scopes existed hold (and the dev seed's key): every scope. */
export const ALL_SCOPES_GRANT = '*';

/** Grants that make a key an admin key (the ones a tenant must keep one of). */
export const ADMIN_GRANTS: readonly string[] = [Scopes.Admin, ALL_SCOPES_GRANT];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs for this route. */
    scope?: Scope;
    /**
     * Accept the key as `?access_token=` too: browsers cannot set headers on a WebSocket. Only
     * for routes that need it, since URLs end up in logs and proxies.
     */
    queryToken?: boolean;
  }
}

/**
 * Scopes of the routes registered by plugins that do not declare their own (method and full
 * URL as Fastify sees them). HEAD routes take their GET's scope.
 */
export const ROUTE_SCOPES: Readonly<Record<string, Scope>> = {
  'GET /v1/agents': Scopes.Read,
  'GET /v1/agents/:name': Scopes.Read,
  'GET /v1/agents/:name/export': Scopes.Read,
  'PUT /v1/agents/:name': Scopes.AgentsWrite,
  'POST /v1/agents/:name/publish': Scopes.AgentsWrite,
  'GET /v1/endpoints': Scopes.Read,
  'GET /v1/endpoints/:name': Scopes.Read,
  'PUT /v1/endpoints/:name': Scopes.Admin,
  'GET /v1/credentials': Scopes.Read,
  'PUT /v1/credentials/:name': Scopes.Admin,
  'POST /v1/conversations': Scopes.Conversations,
  'POST /v1/conversations/:id/tool-calls': Scopes.Conversations,
  'POST /v1/conversations/:id/tool-calls/:callId/confirmation': Scopes.Conversations,
  'POST /v1/conversations/:id/tool-calls/:callId/cancel': Scopes.Conversations,
  'POST /v1/conversations/:id/tool-calls/:callId/delivered': Scopes.Conversations,
  'GET /v1/conversations/:id/events': Scopes.Conversations,
  'GET /v1/conversations/:id/runs': Scopes.Read,
  'GET /v1/runs/:id': Scopes.Read,
  'POST /v1/conversations/:id/compensate': Scopes.Conversations,
  'POST /v1/conversations/:id/turns': Scopes.Conversations,
  'GET /v1/conversations/:id/sandbox-effects': Scopes.Read,
  // Drop-in endpoints for voice runtimes and MCP clients: they run tool calls.
  'POST /v1/dropin/vapi/:agent': Scopes.Conversations,
  'POST /v1/dropin/retell/:agent': Scopes.Conversations,
  'POST /v1/dropin/elevenlabs/:agent': Scopes.Conversations,
  'POST /v1/mcp/:agent': Scopes.Conversations,
  'GET /v1/mcp/:agent': Scopes.Conversations,
  'DELETE /v1/mcp/:agent': Scopes.Conversations,
};

/** The scope a route requires, and whether anyone declared it (else it is `admin` by default). */
export function routeScope(
  method: string,
  url: string,
  config: { scope?: Scope } | undefined,
): { scope: Scope; declared: boolean } {
  if (config?.scope !== undefined) return { scope: config.scope, declared: true };
  const listed = ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url}`];
  return listed !== undefined ? { scope: listed, declared: true } : { scope: Scopes.Admin, declared: false };
}

/**
 * Whether a key holding `granted` may use a route requiring `required`. `admin` and `*` grant
 * everything; every scope grants `read` (a key that may act may see what it acts on).
 */
export function grants(granted: readonly string[], required: Scope): boolean {
  if (granted.includes(ALL_SCOPES_GRANT) || granted.includes(Scopes.Admin)) return true;
  if (granted.includes(required)) return true;
  return required === Scopes.Read && granted.some((g) => (ALL_SCOPES as readonly string[]).includes(g));
}

/** Whether these grants make an admin key. */
export function isAdminGrant(granted: readonly string[]): boolean {
  return granted.some((g) => ADMIN_GRANTS.includes(g));
}

/** 403: the key is valid but lacks the route's scope. */
export class ForbiddenError extends SwitchboardError {
  constructor(required: Scope, granted: readonly string[], route: string) {
    super('forbidden', `this API key lacks the '${required}' scope that ${route} requires`, {
      details: { required, granted: [...granted] },
    });
  }
}
