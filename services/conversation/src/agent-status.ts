import { type ActionStatusReport, actionStatus, type CanonicalAction } from '@switchboard/actions';
import { handoffReferences } from '@switchboard/agents';
import type { JsonObject } from '@switchboard/common';
import {
  type ActionDefinitionRow,
  findAgentRuntimes,
  listAgents,
  listReferenceTargets,
  type Queryable,
} from '@switchboard/db';
import { CALL_RUNTIMES, type CallRuntime, runtimeProblems } from '@switchboard/operations';

/** Status of each action, as the seed's Actions tab shows it. */
export interface ActionWithStatus {
  name: string;
  format: ActionDefinitionRow['format'];
  version: number;
  status: ActionStatusReport['status'];
  problems: ActionStatusReport['problems'];
}

/**
 * Computes Configured / Incomplete / Error for a set of actions against the tenant's
 * credentials and endpoints. A credential a provider refused (401/403 recorded by a worker)
 * makes every action using it Error, with the provider's reason. With the agent's `runtimes`
 * (when it says which voice runtimes it serves), a call-control step one of them cannot perform
 * makes the action Error, with the step's pointer in the canonical action and the reason.
 */
export async function statusOfActions(
  db: Queryable,
  tenantId: string,
  actions: readonly (Pick<ActionDefinitionRow, 'name' | 'format' | 'version' | 'source'> & {
    canonical: JsonObject | CanonicalAction;
  })[],
  runtimes: readonly CallRuntime[] = [],
): Promise<ActionWithStatus[]> {
  const { credentials, endpoints } = await listReferenceTargets(db, tenantId);
  const byName = new Map(credentials.map((c) => [c.name, c]));
  const ctx = {
    credentials: new Set(credentials.map((c) => c.name)),
    endpoints: new Set(endpoints),
    check: async (ref: { type: 'credential' | 'endpoint'; name: string; provider?: string }) => {
      const c = ref.type === 'credential' ? byName.get(ref.name) : undefined;
      if (c && ref.provider !== undefined && c.provider !== ref.provider) {
        return {
          ok: false as const,
          reason: `credential '${c.name}' is a ${c.provider} credential, not ${ref.provider}`,
        };
      }
      if (c?.status === 'auth_failed')
        return { ok: false as const, reason: c.statusReason ?? 'the provider refused the credential' };
      return { ok: true as const };
    },
  };
  const agents = lazyAgentNames(db, tenantId);
  return Promise.all(
    actions.map(async (a) => {
      const report = await actionStatus({ kind: a.format, source: a.source }, ctx);
      const handoffs = await missingHandoffTargets(a.source, agents);
      const unsupported = runtimeProblems(a.canonical as CanonicalAction, runtimes);
      if (handoffs.length === 0 && unsupported.length === 0) {
        return { name: a.name, format: a.format, version: a.version, status: report.status, problems: report.problems };
      }
      const problems = [...report.problems, ...handoffs, ...unsupported];
      return { name: a.name, format: a.format, version: a.version, status: 'error' as const, problems };
    }),
  );
}

/**
 * The voice runtimes the agent says it serves (`runtimes` of `PUT /v1/agents/:name`); empty when
 * it has not said, so each call is checked against its own conversation's channel instead.
 */
export async function agentRuntimes(db: Queryable, tenantId: string, agentId: string): Promise<CallRuntime[]> {
  return servedRuntimes(await findAgentRuntimes(db, tenantId, agentId));
}

/** The runtimes of an agent's stored `runtimes` setting that are known ones (none when unset). */
export function servedRuntimes(stored: readonly string[] | undefined): CallRuntime[] {
  return (stored ?? []).filter((runtime): runtime is CallRuntime =>
    (CALL_RUNTIMES as readonly string[]).includes(runtime),
  );
}

/** The tenant's agent names, read at most once, and only when an action hands over. */
function lazyAgentNames(db: Queryable, tenantId: string): () => Promise<ReadonlySet<string>> {
  let names: Promise<ReadonlySet<string>> | undefined;
  return () => {
    names ??= listAgents(db, tenantId).then((agents) => new Set(agents.map((a) => a.name)));
    return names;
  };
}

/**
 * Handoffs of a stored action whose target is no agent of the tenant: saving refuses them (see
 * `handoff-targets.ts`), but an action stored before that check may have one. Such an action is
 * Error, so it is refused (`action_not_configured`) rather than hand over to nowhere.
 */
async function missingHandoffTargets(
  source: JsonObject,
  agents: () => Promise<ReadonlySet<string>>,
): Promise<ActionStatusReport['problems']> {
  const references = handoffReferences({ actions: [source] });
  if (references.length === 0) return [];
  const known = await agents();
  return references
    .filter((ref) => !known.has(ref.target))
    .map((ref) => ({
      pointer: `${ref.pointer.replace(/^\/actions\/0/, '')}/target`,
      message: `handoff target '${ref.target}' is not an agent of this tenant`,
    }));
}
