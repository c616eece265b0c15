import { type ActionStatusReport, actionStatus } from '@switchboard/actions';
import { type ActionDefinitionRow, listCredentials, listEndpoints, type Queryable } from '@switchboard/db';

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
 * makes every action using it Error, with the provider's reason.
 */
export async function statusOfActions(
  db: Queryable,
  tenantId: string,
  actions: readonly Pick<ActionDefinitionRow, 'name' | 'format' | 'version' | 'source'>[],
): Promise<ActionWithStatus[]> {
  const [credentials, endpoints] = await Promise.all([listCredentials(db, tenantId), listEndpoints(db, tenantId)]);
  const byName = new Map(credentials.map((c) => [c.name, c]));
  const ctx = {
    credentials: new Set(credentials.map((c) => c.name)),
    endpoints: new Set(endpoints.map((e) => e.name)),
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
  return Promise.all(
    actions.map(async (a) => {
      const report = await actionStatus({ kind: a.format, source: a.source }, ctx);
      return { name: a.name, format: a.format, version: a.version, status: report.status, problems: report.problems };
    }),
  );
}
