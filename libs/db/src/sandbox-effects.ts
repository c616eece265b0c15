import type { JsonValue } from '@switchboard/common';
import type { Queryable } from './pool.js';

/** States of a recorded sandbox effect. */
export const SandboxEffectStates = {
  /** Made by the test call and not undone yet. */
  Pending: 'pending',
  /** Undone by a compensation. */
  Undone: 'undone',
  /** The last compensation could not undo it (`reason` says why); the next one tries again. */
  Failed: 'failed',
  /** Cannot be undone (a sent SMS, a transfer, a custom HTTP call); `reason` says why. */
  Irreversible: 'irreversible',
} as const;
export type SandboxEffectState = (typeof SandboxEffectStates)[keyof typeof SandboxEffectStates];

/** The provider operation that undoes an effect, with its payload (a provider activity's input). */
export interface SandboxUndo {
  operation: string;
  payload: JsonValue;
}

/** What a provider worker records about one effect of a sandbox conversation's step. */
export type SandboxEffectInput = {
  tenantId: string;
  conversationId: string;
  intentId: string;
  /** JSON pointer of the step; with the intent it identifies the effect (one per step). */
  stepPointer: string;
  /** The operation that made the effect, e.g. `calcom.book`. */
  operation: string;
  /** Provider name: `calcom`, `hubspot`, `twilio`, `http`. */
  provider: string;
  /** The provider's id of what was made (booking uid, ticket id, message SID). */
  providerRef?: string;
  /** One line for people, e.g. `Cal.com booking abc123`. */
  description?: string;
} & ({ undo: SandboxUndo } | { irreversible: string });

/** A recorded effect. */
export interface SandboxEffect {
  /** Creation order within the database (a bigint, as text). */
  id: string;
  tenantId: string;
  conversationId: string;
  intentId: string;
  stepPointer: string;
  operation: string;
  provider: string;
  providerRef: string | null;
  description: string;
  undo: SandboxUndo | null;
  state: SandboxEffectState;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Records an effect of a sandbox conversation. Idempotent per (tenant, intent, step): the
 * first record wins, so a retried activity (or one that records before and after acting)
 * never records twice. Returns true when this call recorded it.
 */
export async function recordSandboxEffect(db: Queryable, e: SandboxEffectInput): Promise<boolean> {
  const undo = 'undo' in e ? e.undo : undefined;
  const result = await db.query(
    `INSERT INTO sandbox_effects (tenant_id, conversation_id, intent_id, step_pointer, operation, provider,
        provider_ref, description, undo_operation, undo_payload, state, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (tenant_id, intent_id, step_pointer) DO NOTHING`,
    [
      e.tenantId,
      e.conversationId,
      e.intentId,
      e.stepPointer,
      e.operation,
      e.provider,
      e.providerRef ?? null,
      e.description ?? '',
      undo?.operation ?? null,
      // pg would send a JS array as a Postgres array: JSON text keeps every JSON value intact.
      undo === undefined ? null : JSON.stringify(undo.payload),
      undo === undefined ? SandboxEffectStates.Irreversible : SandboxEffectStates.Pending,
      'irreversible' in e ? e.irreversible : null,
    ],
  );
  return result.rowCount === 1;
}

interface SandboxEffectRow {
  id: string;
  tenant_id: string;
  conversation_id: string;
  intent_id: string;
  step_pointer: string;
  operation: string;
  provider: string;
  provider_ref: string | null;
  description: string;
  undo_operation: string | null;
  undo_payload: JsonValue | null;
  state: SandboxEffectState;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

function mapEffect(r: SandboxEffectRow): SandboxEffect {
  return {
    id: String(r.id),
    tenantId: r.tenant_id,
    conversationId: r.conversation_id,
    intentId: r.intent_id,
    stepPointer: r.step_pointer,
    operation: r.operation,
    provider: r.provider,
    providerRef: r.provider_ref,
    description: r.description,
    undo: r.undo_operation === null ? null : { operation: r.undo_operation, payload: r.undo_payload },
    state: r.state,
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The recorded effects of a conversation of this tenant, in creation order (or newest first). */
export async function listSandboxEffects(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  options: { newestFirst?: boolean } = {},
): Promise<SandboxEffect[]> {
  const { rows } = await db.query<SandboxEffectRow>(
    `SELECT * FROM sandbox_effects WHERE tenant_id = $1 AND conversation_id = $2
      ORDER BY id ${options.newestFirst ? 'DESC' : 'ASC'}`,
    [tenantId, conversationId],
  );
  return rows.map(mapEffect);
}

/**
 * Marks an effect undone, or its undo failed. Only an effect still to undo (`pending` or
 * `failed`) changes: an undone effect stays undone, so a late or repeated compensation cannot
 * turn it back into a failure. Returns true when the row changed.
 */
export async function markSandboxEffect(
  db: Queryable,
  tenantId: string,
  id: string,
  state: typeof SandboxEffectStates.Undone | typeof SandboxEffectStates.Failed,
  reason?: string,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE sandbox_effects SET state = $3, reason = $4, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND state IN ('pending', 'failed')`,
    [tenantId, id, state, reason ?? null],
  );
  return result.rowCount === 1;
}
