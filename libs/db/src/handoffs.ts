import type { Queryable } from './pool.js';

/** A handoff a run made: where its conversation goes. */
export interface HandoffRecord {
  tenantId: string;
  conversationId: string;
  /** The run whose `handoff` step it was. */
  intentId: string;
  /** Agent name (of the same tenant). */
  target: string;
  /** Topic of the target agent, or none. */
  topic?: string;
}

/**
 * Moves the conversation to the handoff's target agent (and topic, or none), while the run
 * that made it is not yet terminal — so a retry of the writer after the run was finished
 * changes nothing, and a later handoff is never overwritten by an earlier one. Returns the
 * target agent's id, or `undefined` when nothing changed (the target is not an agent of the
 * tenant, the run is already terminal, or the conversation is not the tenant's).
 */
export async function applyHandoff(db: Queryable, handoff: HandoffRecord): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE conversations c SET active_agent_id = a.id, active_topic = $4
       FROM agents a
      WHERE a.tenant_id = $1 AND a.name = $3
        AND c.tenant_id = $1 AND c.id = $2
        AND EXISTS (SELECT 1 FROM action_runs r
                     WHERE r.intent_id = $5 AND r.status NOT IN ('succeeded', 'failed', 'cancelled'))
      RETURNING a.id`,
    [handoff.tenantId, handoff.conversationId, handoff.target, handoff.topic ?? null, handoff.intentId],
  );
  return rows[0]?.id;
}

/** Where a run hands its conversation over to. */
export interface RunHandoff {
  target: string;
  topic?: string;
}

/** A finished run's status and events, as published or stored (`{kind, data}` each). */
export interface RunEvents {
  status: string;
  events: readonly { kind: string; data?: unknown }[];
}

/**
 * The handoff a finished run makes: its last `handoff` event, unless the run was cancelled (a
 * cancelled run leaves nothing behind, its state changes included). A failed run keeps the
 * handoffs it made before failing — and those its `on_failure` made ("hand over to a person
 * when this fails") — as it keeps its other state changes.
 */
export function handoffOf(run: RunEvents): RunHandoff | undefined {
  if (run.status === 'cancelled') return undefined;
  for (const e of [...run.events].reverse()) {
    if (e.kind !== 'handoff' || e.data === null || typeof e.data !== 'object') continue;
    const { target, topic } = e.data as { target?: unknown; topic?: unknown };
    if (typeof target !== 'string' || target === '') continue;
    return typeof topic === 'string' && topic !== '' ? { target, topic } : { target };
  }
  return undefined;
}
