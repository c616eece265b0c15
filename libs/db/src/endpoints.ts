import type { Queryable } from './pool.js';

/** A tenant's webhook endpoint. */
export interface Endpoint {
  tenantId: string;
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}

export async function upsertEndpoint(db: Queryable, e: Endpoint): Promise<void> {
  await db.query(
    `INSERT INTO endpoints (tenant_id, name, url, method, headers, timeout_ms, allow_private)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, name) DO UPDATE SET url = EXCLUDED.url, method = EXCLUDED.method,
       headers = EXCLUDED.headers, timeout_ms = EXCLUDED.timeout_ms, allow_private = EXCLUDED.allow_private,
       updated_at = now()`,
    [e.tenantId, e.name, e.url, e.method, e.headers, e.timeoutMs, e.allowPrivate],
  );
}

export async function findEndpoint(db: Queryable, tenantId: string, name: string): Promise<Endpoint | undefined> {
  const { rows } = await db.query<{
    url: string;
    method: string;
    headers: Record<string, string>;
    timeout_ms: number;
    allow_private: boolean;
  }>('SELECT url, method, headers, timeout_ms, allow_private FROM endpoints WHERE tenant_id = $1 AND name = $2', [
    tenantId,
    name,
  ]);
  const row = rows[0];
  return row
    ? {
        tenantId,
        name,
        url: row.url,
        method: row.method,
        headers: row.headers,
        timeoutMs: row.timeout_ms,
        allowPrivate: row.allow_private,
      }
    : undefined;
}

/** Endpoints of a tenant, by name. */
export async function listEndpoints(db: Queryable, tenantId: string): Promise<Endpoint[]> {
  const { rows } = await db.query<{
    name: string;
    url: string;
    method: string;
    headers: Record<string, string>;
    timeout_ms: number;
    allow_private: boolean;
  }>('SELECT name, url, method, headers, timeout_ms, allow_private FROM endpoints WHERE tenant_id = $1 ORDER BY name', [
    tenantId,
  ]);
  return rows.map((r) => ({
    tenantId,
    name: r.name,
    url: r.url,
    method: r.method,
    headers: r.headers,
    timeoutMs: r.timeout_ms,
    allowPrivate: r.allow_private,
  }));
}
