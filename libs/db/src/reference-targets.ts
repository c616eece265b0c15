import type { CredentialProvider, listCredentials } from './credentials.js';
import type { Queryable } from './pool.js';

/** What an action's references may name: the tenant's credentials and its webhook endpoints' names. */
export interface ReferenceTargets {
  /** As {@link listCredentials} lists them, by name. */
  credentials: Awaited<ReturnType<typeof listCredentials>>;
  /** Endpoint names, sorted. */
  endpoints: string[];
}

/**
 * The tenant's credentials (name, provider, status) and endpoint names in one statement: an
 * action's status is computed on every tool call, before it is accepted, and one round trip
 * there costs one Postgres wake-up where two queries cost two.
 */
export async function listReferenceTargets(db: Queryable, tenantId: string): Promise<ReferenceTargets> {
  const { rows } = await db.query<{
    kind: 'credential' | 'endpoint';
    name: string;
    provider: CredentialProvider | null;
    status: string | null;
    status_reason: string | null;
  }>(
    `SELECT 'credential' AS kind, name, provider, status, status_reason FROM credentials WHERE tenant_id = $1
     UNION ALL
     SELECT 'endpoint', name, NULL, NULL, NULL FROM endpoints WHERE tenant_id = $1
     ORDER BY kind, name`,
    [tenantId],
  );
  const targets: ReferenceTargets = { credentials: [], endpoints: [] };
  for (const r of rows) {
    if (r.kind === 'endpoint') targets.endpoints.push(r.name);
    else
      targets.credentials.push({
        name: r.name,
        provider: r.provider as CredentialProvider,
        status: r.status as string,
        statusReason: r.status_reason,
      });
  }
  return targets;
}
