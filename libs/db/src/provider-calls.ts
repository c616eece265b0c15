/**
 * The provider workers' attempt log (`provider_calls`, migration 016): one row per attempt of
 * a provider operation, read by `GET /v1/stats`, kept for a retention period only.
 */
import type { Queryable } from './pool.js';

/** One attempt of a provider operation. */
export interface ProviderCallRecord {
  tenantId: string;
  /** `calcom`, `twilio`, `hubspot` or `webhook`. */
  provider: string;
  /** The activity's operation, e.g. `calcom.book`, `sms.send`, `webhook`. */
  operation: string;
  /** When the attempt started (ms since the epoch). */
  atMs: number;
  durationMs: number;
  /** Temporal's attempt number: 1 for the first try. */
  attempt: number;
  ok: boolean;
  errorCode?: string;
  httpStatus?: number;
}

/** Appends attempts in one statement (the workers batch them). */
export async function recordProviderCalls(db: Queryable, calls: readonly ProviderCallRecord[]): Promise<void> {
  if (calls.length === 0) return;
  await db.query(
    `INSERT INTO provider_calls (tenant_id, provider, operation, at, duration_ms, attempt, ok, error_code, http_status)
     SELECT tenant_id, provider, operation, to_timestamp(at_ms / 1000.0), duration_ms, attempt, ok, error_code, http_status
       FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int[], $6::int[], $7::bool[], $8::text[], $9::smallint[])
            AS c(tenant_id, provider, operation, at_ms, duration_ms, attempt, ok, error_code, http_status)`,
    [
      calls.map((c) => c.tenantId),
      calls.map((c) => c.provider),
      calls.map((c) => c.operation),
      calls.map((c) => c.atMs),
      calls.map((c) => Math.max(0, Math.min(2_147_483_647, Math.round(c.durationMs)))),
      calls.map((c) => c.attempt),
      calls.map((c) => c.ok),
      calls.map((c) => c.errorCode ?? null),
      calls.map((c) =>
        c.httpStatus !== undefined && c.httpStatus >= 100 && c.httpStatus <= 999 ? c.httpStatus : null,
      ),
    ],
  );
}

/**
 * Deletes attempts that started more than `retentionMs` ago, at most `batch` rows per
 * statement (short locks, however much is due); answers how many were deleted.
 */
export async function pruneProviderCalls(db: Queryable, retentionMs: number, batch = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query(
      `DELETE FROM provider_calls WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM provider_calls WHERE at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2))`,
      [retentionMs, batch],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return total;
  }
}
