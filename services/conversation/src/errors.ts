import type { LocatedLintIssue } from '@switchboard/agents';
import { SwitchboardError } from '@switchboard/common';

/** HTTP status for each stable error code; anything unknown is a 500. */
const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  invalid_arguments: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  // Platform administration: a disabled tenant's keys, and each kind of key on the other's routes.
  tenant_disabled: 403,
  platform_key_required: 403,
  tenant_key_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  // An Idempotency-Key sent again with another request (tool calls, turns): the request is
  // well-formed but cannot be processed under that key, as payment APIs answer it.
  idempotency_key_reused: 422,
  uri_too_long: 414,
  unsupported_media_type: 415,
  upgrade_required: 426,
  // An agent whose instructions have lint errors: well-formed, but not published unless forced.
  instructions_lint_failed: 422,
  rate_limited: 429,
  unavailable: 503,
  bus_unavailable: 503,
  // A deployment without CREDENTIALS_KEYS: nothing the caller can fix, and not a crash.
  credentials_unavailable: 503,
  // Agent turns (POST /v1/conversations/:id/turns): configuration the tenant must fix, a turn
  // already running, and an LLM endpoint that failed (502: the fault is upstream).
  llm_not_configured: 409,
  llm_credential_invalid: 409,
  llm_endpoint_not_allowed: 409,
  credential_missing: 409,
  credential_invalid: 409,
  instructions_invalid: 409,
  turn_in_progress: 409,
  // A tool call of an action whose status is Incomplete or Error (`agent-status.ts`).
  action_not_configured: 409,
  llm_auth_failed: 502,
  llm_request_rejected: 502,
  llm_invalid_response: 502,
  llm_unavailable: 503,
};

/** The HTTP status for a SwitchboardError. */
export function httpStatusOf(err: SwitchboardError): number {
  return STATUS_BY_CODE[err.code] ?? (err.retryable ? 503 : 500);
}

/** 401: no or bad credentials. */
export class UnauthorizedError extends SwitchboardError {
  constructor(message = 'a valid API key is required (Authorization: Bearer sb_…)') {
    super('unauthorized', message);
  }
}

/**
 * 403: a genuine key of a tenant a platform admin disabled. Not retryable: only re-enabling the
 * tenant (not offered yet) would change the answer.
 */
export class TenantDisabledError extends SwitchboardError {
  constructor(tenantId: string) {
    super('tenant_disabled', `tenant '${tenantId}' is disabled; its API keys are refused`, {
      details: { tenantId },
    });
  }
}

/** 403: which kind of API key a route takes, when it was given the other kind. */
export class WrongKeyKindError extends SwitchboardError {
  constructor(needs: 'platform' | 'tenant', route: string) {
    super(
      needs === 'platform' ? 'platform_key_required' : 'tenant_key_required',
      needs === 'platform'
        ? `${route} is platform administration: it takes a platform key (sbp_…), not a tenant's key`
        : `${route} acts on a tenant's data: it takes that tenant's API key (sb_key_…); a platform key (sbp_…) reaches only /v1/platform`,
    );
  }
}

/** 409: the request conflicts with the resource's state. */
export class ConflictError extends SwitchboardError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/**
 * 409: the action called is not Configured (status Incomplete or Error), so it is not run: a
 * call would only fail (a missing endpoint or credential, a target this runtime cannot run).
 * `details` names the action, its status and every problem with its pointer into the action's
 * definition, as `GET /v1/agents/:name` lists them.
 */
export class ActionNotConfiguredError extends SwitchboardError {
  constructor(action: string, status: string, problems: readonly { pointer: string; message: string }[]) {
    const what = problems.map((p) => `${p.message}${p.pointer === '' ? '' : ` (at ${p.pointer})`}`).join('; ');
    super('action_not_configured', `action '${action}' is ${status}, so it cannot run: ${what}`, {
      retryable: false,
      details: { action, status, problems: problems.map((p) => ({ pointer: p.pointer, message: p.message })) },
    });
  }
}

/**
 * 422: the Idempotency-Key was first used for another request (other action, arguments,
 * topic, or turn text). Nothing runs: answering with the first request's result would tell the
 * caller its new request ran. Not retryable; a new request needs a new key.
 */
export class IdempotencyKeyReusedError extends SwitchboardError {
  constructor(idempotencyKey: string, differs?: readonly string[]) {
    const what = differs && differs.length > 0 ? ` (other ${differs.join(' and ')})` : '';
    super(
      'idempotency_key_reused',
      `Idempotency-Key '${idempotencyKey}' was first used for another request${what}; send a new key for a new request`,
      { retryable: false, details: { idempotencyKey, ...(differs ? { differs: [...differs] } : {}) } },
    );
  }
}

/**
 * 422: the agent's instructions have lint errors (a reference to no configured action, in
 * another case or misspelt; a template syntax error), so publishing is refused unless the
 * request says `"force": true`. `details.issues` lists every error with the JSON pointer of the
 * instructions holding it and its line and column there. Not retryable: the definition must change.
 */
export class InstructionsLintError extends SwitchboardError {
  constructor(what: string, issues: readonly LocatedLintIssue[]) {
    const first = issues[0];
    const where = first
      ? ` (first: ${first.pointer} line ${first.line}, column ${first.column}: ${first.message})`
      : '';
    super(
      'instructions_lint_failed',
      `${what}: the instructions have ${issues.length} lint error(s)${where}; fix them, or send "force": true to publish anyway`,
      { retryable: false, details: { issues: [...issues] } },
    );
  }
}
