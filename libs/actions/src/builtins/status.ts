/**
 * Action status, as the dashboard's Actions tab shows it next to each action:
 *
 * - **Configured** — the action is properly configured and ready to use;
 * - **Incomplete** — a required setting is missing, or a referenced credential or webhook
 *   endpoint does not exist for the tenant (the problems say which);
 * - **Error** — the configuration is invalid (including a typed action's `tool://` or
 *   `workflow://` target, which this runtime cannot run), or the injected provider check
 *   reported a failure (typically authentication), with its reason.
 *
 * Pure apart from the injected `check`, so the conversation service can compute it on every
 * save and the dashboard can refresh it.
 */
import type { ValidationIssue } from '@switchboard/common';
import { validateDeclarativeTool } from '../declarative.js';
import { isPlainObject, ownGet, pointerJoin } from '../json.js';
import { parseTarget, unrunnableTargetIssue, validateTypedAction } from '../typed.js';
import { analyseBuiltinForStatus } from './catalog.js';
import type { CredentialProvider } from './kinds.js';

/** The three statuses of an action. */
export const ActionStatuses = { Configured: 'configured', Incomplete: 'incomplete', Error: 'error' } as const;
/** One of {@link ActionStatuses}. */
export type ActionStatus = (typeof ActionStatuses)[keyof typeof ActionStatuses];

/** One reason for a status other than Configured. */
export interface StatusProblem {
  /** JSON pointer into the action's source document (`/config/credential`, `/actions/2/endpoint`). */
  pointer: string;
  /** What is wrong and, where possible, how to fix it. */
  message: string;
}

/** The status of one action, with every problem found. */
export interface ActionStatusReport {
  status: ActionStatus;
  /** Empty exactly when the status is Configured. */
  problems: StatusProblem[];
}

/** A credential or endpoint an action references, as passed to the provider check. */
export interface ActionReference {
  type: 'credential' | 'endpoint';
  /** The name as written in the definition. */
  name: string;
  /** Where the reference is written. */
  pointer: string;
  /** For credentials of built-ins: whose credential it must be (calcom, twilio, hubspot, http). */
  provider?: CredentialProvider;
}

/** Result of a provider check: ok, or why not (e.g. "401 Unauthorized: invalid API key"). */
export type ReferenceCheckResult = { ok: true } | { ok: false; reason: string };

/** What {@link actionStatus} needs to know about the tenant. */
export interface ActionStatusContext {
  /** Names of the tenant's stored credentials. */
  credentials: ReadonlySet<string>;
  /** Names of the tenant's webhook endpoints. */
  endpoints: ReadonlySet<string>;
  /**
   * Optional live check of a reference that exists (e.g. a cheap authenticated provider
   * call). A `{ ok: false }` result, or a rejection, makes the status Error with the reason.
   */
  check?: (ref: ActionReference) => Promise<ReferenceCheckResult>;
}

/** An action as stored: which surface format it is in, and its source document. */
export interface StatusSubject {
  kind: 'builtin' | 'tool' | 'typed';
  source: unknown;
}

interface Findings {
  issues: readonly ValidationIssue[];
  missing: ReadonlySet<ValidationIssue>;
  references: ActionReference[];
}

/** Missing top-level members of tools and typed actions count as incomplete, not invalid. */
function missingTopLevel(issues: readonly ValidationIssue[], keys: readonly string[]): Set<ValidationIssue> {
  return new Set(issues.filter((issue) => issue.found === 'nothing' && keys.includes(issue.pointer)));
}

function webhookEndpoints(chain: unknown, pointer: string, refs: ActionReference[], depth = 0): void {
  if (!Array.isArray(chain) || depth > 32) return;
  chain.forEach((step: unknown, index) => {
    if (!isPlainObject(step)) return;
    const at = pointerJoin(pointer, index);
    const endpoint = ownGet(step, 'endpoint');
    if (ownGet(step, 'type') === 'webhook' && typeof endpoint === 'string') {
      refs.push({ type: 'endpoint', name: endpoint, pointer: pointerJoin(at, 'endpoint') });
    }
    if (ownGet(step, 'type') === 'conditional') {
      webhookEndpoints(ownGet(step, 'then'), pointerJoin(at, 'then'), refs, depth + 1);
      webhookEndpoints(ownGet(step, 'else'), pointerJoin(at, 'else'), refs, depth + 1);
    }
  });
}

function findings(subject: StatusSubject): Findings | undefined {
  const { source } = subject;
  switch (subject.kind) {
    case 'builtin':
      return analyseBuiltinForStatus(source);
    case 'tool': {
      const issues = validateDeclarativeTool(source);
      const references: ActionReference[] = [];
      if (isPlainObject(source)) {
        for (const key of ['actions', 'on_success', 'on_failure']) {
          webhookEndpoints(ownGet(source, key), `/${key}`, references);
        }
      }
      return { issues, missing: missingTopLevel(issues, ['/name', '/description']), references };
    }
    case 'typed': {
      const issues = validateTypedAction(source);
      // Stored before agents refused it at save: Error, so no call runs it (`action_not_configured`).
      const unrunnable = issues.length === 0 ? unrunnableTargetIssue(source) : undefined;
      if (unrunnable) issues.push(unrunnable);
      const references: ActionReference[] = [];
      const target = isPlainObject(source) ? ownGet(source, 'target') : undefined;
      const parsed = typeof target === 'string' ? parseTarget(target) : undefined;
      if (parsed?.scheme === 'webhook') references.push({ type: 'endpoint', name: parsed.name, pointer: '/target' });
      return { issues, missing: missingTopLevel(issues, ['/name', '/target']), references };
    }
    default:
      return undefined;
  }
}

const PROVIDER_NAMES: Readonly<Record<CredentialProvider, string>> = {
  calcom: 'Cal.com',
  twilio: 'Twilio',
  hubspot: 'HubSpot',
  http: 'API',
};

function absentMessage(ref: ActionReference): string {
  if (ref.type === 'endpoint') {
    return `webhook endpoint '${ref.name}' is not configured — add it in Settings > Webhook Endpoints`;
  }
  const whose = ref.provider === undefined ? '' : `${PROVIDER_NAMES[ref.provider]} `;
  return `${whose}credential '${ref.name}' is not configured — add it in Settings > Credentials`;
}

/**
 * Computes an action's status. Invalid configuration is Error (every issue is listed);
 * otherwise missing settings and references to credentials/endpoints the tenant does not have
 * are Incomplete; then each existing reference is passed once to `ctx.check`, and a failed
 * check is Error with its reason. Never rejects: a throwing check is reported as Error.
 */
export async function actionStatus(action: StatusSubject, ctx: ActionStatusContext): Promise<ActionStatusReport> {
  const found = findings(action);
  if (found === undefined) {
    return {
      status: ActionStatuses.Error,
      problems: [
        { pointer: '', message: `unknown action kind '${String(action.kind)}' (expected builtin, tool or typed)` },
      ],
    };
  }
  const toProblem = (issue: ValidationIssue): StatusProblem => ({ pointer: issue.pointer, message: issue.message });
  if (found.issues.some((issue) => !found.missing.has(issue))) {
    return { status: ActionStatuses.Error, problems: found.issues.map(toProblem) };
  }
  const problems: StatusProblem[] = found.issues.map(toProblem);
  const present: ActionReference[] = [];
  const seen = new Set<string>();
  for (const ref of found.references) {
    const exists = ref.type === 'credential' ? ctx.credentials.has(ref.name) : ctx.endpoints.has(ref.name);
    if (!exists) {
      problems.push({ pointer: ref.pointer, message: absentMessage(ref) });
      continue;
    }
    const key = `${ref.type}:${ref.name}`;
    if (!seen.has(key)) {
      seen.add(key);
      present.push(ref);
    }
  }
  let failed = false;
  if (ctx.check !== undefined) {
    const check = ctx.check;
    const results = await Promise.all(
      present.map(async (ref): Promise<ReferenceCheckResult> => {
        try {
          return await check(ref);
        } catch (err) {
          return { ok: false, reason: `the check could not run: ${err instanceof Error ? err.message : String(err)}` };
        }
      }),
    );
    results.forEach((result, index) => {
      const ref = present[index];
      if (result.ok || ref === undefined) return;
      failed = true;
      problems.push({ pointer: ref.pointer, message: `${ref.type} '${ref.name}' failed its check: ${result.reason}` });
    });
  }
  const status = failed
    ? ActionStatuses.Error
    : problems.length > 0
      ? ActionStatuses.Incomplete
      : ActionStatuses.Configured;
  return { status, problems };
}
