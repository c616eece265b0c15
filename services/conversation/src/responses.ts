/**
 * The API's error responses, defined once: the `{"error": {code, message, retryable, details}}`
 * body, what each status means, and which statuses every route can answer besides its own.
 *
 * Routes list only the statuses their own handlers produce (`errorResponses(404, 409)`); the
 * statuses that come from the app itself are added to every documented route by `onRoute`
 * hooks, where they are produced: {@link addAppResponses} (the error handler, the body parser,
 * the router: 400, 413, 414, 415, 500) for every route, {@link addAccessResponses} (401, 403,
 * 429) in the API-key scope (`access.ts`). So the OpenAPI document cannot forget one, and
 * schemathesis (`test/src/conformance/api-fuzz.test.ts`) checks that no route answers a status
 * or a body it does not document.
 */
import { type Static, type TSchema, Type } from '@fastify/type-provider-typebox';
import type { RouteOptions } from 'fastify';

/** One problem with a request, located by a JSON pointer (`ValidationIssue` of `@switchboard/common`). */
export const Issue = Type.Object({
  pointer: Type.String({ description: 'RFC 6901 JSON pointer into the request part named by the message' }),
  message: Type.String(),
  expected: Type.Optional(Type.String()),
  found: Type.Optional(Type.String()),
  suggestion: Type.Optional(Type.String()),
});

/** The error body of every API error (`SwitchboardError.toJSON()`), with these `details`. */
function errorBody<D extends TSchema>($id: string, description: string, details: D) {
  return Type.Object(
    {
      error: Type.Object(
        {
          code: Type.String({ description: 'Stable, machine-readable; never reworded' }),
          message: Type.String({ description: 'For people; may change' }),
          retryable: Type.Boolean({ description: 'Whether the same request, retried later, may succeed' }),
          details: Type.Optional(details),
        },
        { additionalProperties: false },
      ),
    },
    { $id, additionalProperties: false, description },
  );
}

/** An API error. */
export const ErrorBody = errorBody('Error', 'An API error', Type.Record(Type.String(), Type.Unknown()));

/** A 400: `details.issues` lists every problem with its pointer. */
export const ValidationErrorBody = errorBody(
  'ValidationError',
  'An invalid request',
  Type.Object({ issues: Type.Optional(Type.Array(Issue)) }),
);

/** A 429: which limit, and when to retry. */
export const RateLimitedBody = errorBody(
  'RateLimitedError',
  'A rate limit was reached',
  Type.Object({
    limit: Type.Optional(Type.String({ description: 'Which limit: `key`, `tenant`' })),
    max: Type.Optional(Type.Integer({ description: 'Requests allowed per window' })),
    windowSeconds: Type.Optional(Type.Integer()),
    retryAfterSeconds: Type.Optional(Type.Integer()),
  }),
);

/**
 * The error bodies, once each: the app adds them as shared schemas (`app.addSchema`), and the
 * OpenAPI document has them as components, which the responses reference.
 */
export const SHARED_SCHEMAS = [ErrorBody, ValidationErrorBody, RateLimitedBody] as const;

/** A response referencing a shared error body. */
function ref<T extends TSchema>(schema: T & { $id?: string }, description: string, extra: object = {}) {
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#`, description, ...extra });
}

/** The error statuses the API answers, and what each means (the codes it carries). */
export const ERROR_STATUSES = {
  400: '`validation_failed`: the request does not match its schema, or its content is invalid; `details.issues` lists every problem with a JSON pointer. `bad_request`: the body or the URL cannot be parsed (malformed JSON, an empty JSON body, a bad percent-encoding)',
  401: '`unauthorized`: no valid API key (`Authorization: Bearer sb_key_…`), or a signature that does not verify',
  403: "`forbidden`: the API key lacks the route's scope (`details.required`, `details.granted`); on webhooks, the signature is missing or invalid. `tenant_disabled`: the key's tenant was disabled by a platform admin. `tenant_key_required`: a platform key (`sbp_…`) on a tenant route. `platform_key_required`: a tenant key on a `/v1/platform` route",
  404: '`not_found`: the named resource does not exist for this tenant (`details` says which, where it can)',
  405: '`method_not_allowed`: the path exists, not for this method; `Allow` lists the methods it takes',
  409: "`conflict` and the route's own codes: the request conflicts with the resource's state or the tenant's configuration. `action_not_configured` (tool calls): the action's status is `incomplete` or `error`, so it is not run; `details` has `action`, `status` and `problems` (each with a pointer into the action's definition)",
  413: '`payload_too_large`: the body is larger than the limit (`BODY_LIMIT_BYTES`, default 1 MiB)',
  414: '`uri_too_long`: a path segment is longer than 1024 characters',
  415: '`unsupported_media_type`: the body has a content type the route does not take (JSON routes take `application/json`)',
  422: '`idempotency_key_reused`: the `Idempotency-Key` was used before for a different request. `instructions_lint_failed`: the agent\'s instructions have lint errors (`details.issues`, each with pointer, line and column); send `"force": true` to publish anyway',
  426: '`upgrade_required`: a WebSocket route asked with a plain request (no `Upgrade: websocket`)',
  429: '`rate_limited`: a per-key or per-tenant limit was reached; retry after `Retry-After` seconds (`details.retryAfterSeconds`)',
  500: '`internal` and other codes: a failure of the service; the message says nothing more',
  502: "The upstream service (the agent's LLM endpoint) failed or refused: `llm_auth_failed`, `llm_request_rejected`, `llm_invalid_response`",
  503: 'A dependency is unavailable (`unavailable`, `bus_unavailable`, `llm_unavailable`, `credentials_unavailable`); retrying may help',
} as const;

/** A status the API answers with an error body. */
export type ErrorStatus = keyof typeof ERROR_STATUSES;

/** The response schema of one error status. */
export function errorResponse(status: ErrorStatus): TSchema {
  const description = ERROR_STATUSES[status];
  switch (status) {
    case 400:
      return ref(ValidationErrorBody, description);
    case 405:
      return ref(ErrorBody, description, { headers: { allow: Type.String({ description: 'e.g. `GET, HEAD`' }) } });
    case 429:
      return ref(RateLimitedBody, description, {
        headers: { 'retry-after': Type.String({ description: 'Seconds to wait', pattern: '^[0-9]+$' }) },
      });
    default:
      return ref(ErrorBody, description);
  }
}

/** Response schemas of these error statuses, for a route's `schema.response`. */
export function errorResponses(...statuses: ErrorStatus[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(s)]));
}

/** Methods whose bodies Fastify parses: they can answer 413 and 415. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Adds to `route.schema.response` the error statuses the app answers on any route: 400 (the
 * schema, the body parser, the URL), 500, and, by what the route takes, 413 and 415 (a body)
 * and 414 (path parameters). The route's own schemas win. Hidden routes are left alone.
 */
export function addAppResponses(route: RouteOptions): void {
  const methods = [route.method].flat();
  const statuses: ErrorStatus[] = [400, 500];
  if (methods.some((m) => BODY_METHODS.has(m))) statuses.push(413, 415);
  if (route.url.includes('/:')) statuses.push(414);
  addResponses(route, statuses);
}

/** Adds 401, 403 and 429 to an API-key route (see `registerAccessControl`). */
export function addAccessResponses(route: RouteOptions): void {
  addResponses(route, [401, 403, 429]);
}

/** Adds 401 and 403 to a platform route (see `platform.routes.ts`: no rate limits there). */
export function addPlatformAccessResponses(route: RouteOptions): void {
  addResponses(route, [401, 403]);
}

function addResponses(route: RouteOptions, statuses: ErrorStatus[]): void {
  const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
  if (schema.hide === true) return;
  // A new object: routes may share one schema object (the MCP routes do).
  route.schema = { ...schema, response: { ...errorResponses(...statuses), ...schema.response } };
}
