/**
 * Save-time check of `handoff` targets: each must name an agent of the same tenant — the agent
 * being saved counts (a handoff into one of its own topics) — and a `topic`, a topic of that
 * agent's published version (of the definition being saved, for the agent itself). A target
 * saved later is not waited for: save the target agent first (for two agents that hand over to
 * each other: save one without its handoff, then the other, then the first again). Agents
 * cannot be deleted, so a target that existed at save time exists when the handoff runs.
 */
import { closestMatch } from '@switchboard/actions';
import { type HandoffReference, handoffReferences } from '@switchboard/agents';
import type { ValidationIssue } from '@switchboard/common';
import { findAgentByName, findAgentTopics, listAgentActions, listAgents, type Queryable } from '@switchboard/db';

/** A definition as `PUT /v1/agents/:name` takes it (only what holds handoffs and topics). */
interface Definition {
  actions: readonly unknown[];
  library?: readonly unknown[];
  topics?: readonly unknown[];
}

function topicNames(topics: readonly unknown[] | undefined): string[] {
  return (topics ?? []).flatMap((t) =>
    t !== null && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string'
      ? [(t as { name: string }).name]
      : [],
  );
}

/** The problems of the definition's handoffs (empty when every target and topic exists). */
export async function handoffTargetIssues(
  db: Queryable,
  tenantId: string,
  agentName: string,
  definition: Definition,
): Promise<ValidationIssue[]> {
  const references = handoffReferences(definition);
  if (references.length === 0) return [];
  const issues: ValidationIssue[] = [];
  const topicsOf = new Map<string, string[] | undefined>([[agentName, topicNames(definition.topics)]]);
  let known: string[] | undefined;
  for (const ref of references) {
    if (!topicsOf.has(ref.target)) {
      const agent = await findAgentByName(db, tenantId, ref.target);
      topicsOf.set(
        ref.target,
        agent ? (await findAgentTopics(db, tenantId, agent.id)).topics.map((t) => t.name) : undefined,
      );
    }
    const topics = topicsOf.get(ref.target);
    if (topics === undefined) {
      known ??= [...(await listAgents(db, tenantId)).map((a) => a.name), agentName];
      issues.push(unknownTarget(ref, known));
    } else if (ref.topic !== undefined && !topics.includes(ref.topic)) {
      issues.push({
        pointer: `${ref.pointer}/topic`,
        message: `agent '${ref.target}' has no topic '${ref.topic}'`,
        expected: topics.length > 0 ? topics.map((t) => `'${t}'`).join(', ') : 'no topic: the agent has none',
      });
    }
  }
  return issues;
}

function unknownTarget(ref: HandoffReference, known: readonly string[]): ValidationIssue {
  const suggestion = closestMatch(ref.target, known);
  return {
    pointer: `${ref.pointer}/target`,
    message: `handoff target '${ref.target}' is not an agent of this tenant (save the target agent first)`,
    expected: 'the name of an existing agent (case-sensitive)',
    found: ref.target,
    ...(suggestion !== undefined ? { suggestion: `did you mean '${suggestion}'?` } : {}),
  };
}

/**
 * The handoff problems of a stored version, for publishing it (a rollback): versions saved
 * before targets were checked may name an agent that does not exist. Pointers are into the
 * version as `GET /v1/agents/:name?version=N` lists it (`/actions/<i>` in its `definitions` order).
 */
export async function storedVersionHandoffIssues(
  db: Queryable,
  tenantId: string,
  agent: { id: string; name: string },
  version: number,
): Promise<ValidationIssue[]> {
  const [rows, stored] = await Promise.all([
    listAgentActions(db, tenantId, agent.id, version),
    findAgentTopics(db, tenantId, agent.id, version),
  ]);
  return handoffTargetIssues(db, tenantId, agent.name, {
    actions: rows.map((r) => r.source),
    library: stored.library,
    topics: stored.topics,
  });
}
