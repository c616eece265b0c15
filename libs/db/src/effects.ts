import type { JsonValue } from '@switchboard/common';
import type { Queryable } from './pool.js';

/** The record of one side effect, keyed by `<intent>:<step>` within a tenant. */
export interface EffectRecord {
  state: 'started' | 'done';
  providerRef: string | null;
  result: JsonValue | null;
}

/**
 * Claims an effect before performing it. Returns `undefined` when this call claimed it (go
 * ahead), or the existing record: `done` → return its result; `started` → an earlier attempt
 * may or may not have reached the provider, so the caller must look at the provider (by the
 * recorded reference or its own idempotency data) before acting again.
 */
export async function claimEffect(
  db: Queryable,
  tenantId: string,
  key: string,
  operation: string,
): Promise<EffectRecord | undefined> {
  const inserted = await db.query(
    `INSERT INTO effect_records (tenant_id, idempotency_key, operation, state)
     VALUES ($1, $2, $3, 'started') ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
    [tenantId, key, operation],
  );
  if (inserted.rowCount === 1) return undefined;
  const { rows } = await db.query<{ state: 'started' | 'done'; provider_ref: string | null; result: JsonValue | null }>(
    'SELECT state, provider_ref, result FROM effect_records WHERE tenant_id = $1 AND idempotency_key = $2',
    [tenantId, key],
  );
  const row = rows[0];
  return row ? { state: row.state, providerRef: row.provider_ref, result: row.result } : undefined;
}

/** Notes the provider's reference (e.g. a message SID) as soon as it is known. */
export async function noteEffectRef(db: Queryable, tenantId: string, key: string, providerRef: string): Promise<void> {
  await db.query(
    'UPDATE effect_records SET provider_ref = $3, updated_at = now() WHERE tenant_id = $1 AND idempotency_key = $2',
    [tenantId, key, providerRef],
  );
}

/** Marks the effect done with its result; later attempts return this result. */
export async function completeEffect(
  db: Queryable,
  tenantId: string,
  key: string,
  result: JsonValue,
  providerRef?: string,
): Promise<void> {
  await db.query(
    `UPDATE effect_records SET state = 'done', result = $3, provider_ref = COALESCE($4, provider_ref), updated_at = now()
      WHERE tenant_id = $1 AND idempotency_key = $2`,
    [tenantId, key, result, providerRef ?? null],
  );
}

/** Releases a claim whose attempt certainly did not reach the provider, so a retry may act. */
export async function releaseEffect(db: Queryable, tenantId: string, key: string): Promise<void> {
  await db.query(`DELETE FROM effect_records WHERE tenant_id = $1 AND idempotency_key = $2 AND state = 'started'`, [
    tenantId,
    key,
  ]);
}

/** When the effect was first claimed, on the database's clock; `undefined` without a claim. */
export async function findEffectClaimedAt(db: Queryable, tenantId: string, key: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ created_at: Date }>(
    'SELECT created_at FROM effect_records WHERE tenant_id = $1 AND idempotency_key = $2',
    [tenantId, key],
  );
  return rows[0]?.created_at;
}

/**
 * Whether another effect of the tenant (not `key`) already recorded this provider reference: a
 * provider object found while looking for an earlier attempt's is then someone else's.
 */
export async function isEffectRefTakenElsewhere(
  db: Queryable,
  tenantId: string,
  key: string,
  providerRef: string,
): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM effect_records WHERE tenant_id = $1 AND provider_ref = $2 AND idempotency_key <> $3 LIMIT 1',
    [tenantId, providerRef, key],
  );
  return rows.length > 0;
}
