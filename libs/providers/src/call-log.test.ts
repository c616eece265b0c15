import type { Queryable } from '@switchboard/db';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ProviderCallLog, withCallLog } from './call-log.js';
import { ProviderError } from './errors.js';

/** A database that takes the batch inserts (or refuses them while `down`) and keeps the rows. */
function database() {
  const rows: { tenant: string; operation: string; ok: boolean; code: string | null; status: number | null }[] = [];
  const db = {
    down: false,
    rows,
    query: (async (_text: string, params: unknown[][]) => {
      if (db.down) throw new Error('connection refused');
      const [tenants, , operations, , , , oks, codes, statuses] = params as [
        string[],
        string[],
        string[],
        number[],
        number[],
        number[],
        boolean[],
        (string | null)[],
        (number | null)[],
      ];
      tenants.forEach((tenant, i) => {
        rows.push({
          tenant,
          operation: operations[i] as string,
          ok: oks[i] as boolean,
          code: codes[i] ?? null,
          status: statuses[i] ?? null,
        });
      });
      return { rows: [], rowCount: tenants.length };
    }) as unknown as Queryable['query'],
  };
  return db;
}

describe('the provider call log', () => {
  it('records every attempt with its operation, outcome, code and HTTP status, and passes results and errors through', async () => {
    const db = database();
    const log = new ProviderCallLog(db);
    const activities = withCallLog(
      {
        'calcom.book': async (call: { tenantId: string; n: number }) => {
          if (call.n === 1) throw new ProviderError('calcom', 'provider_unavailable', 'down', { httpStatus: 503 });
          if (call.n === 2) throw ApplicationFailure.create({ type: 'webhook_timeout', message: 'slow' });
          if (call.n === 3) throw new Error('bug');
          return { ok: call.n };
        },
        callWebhook: async (_call: { tenantId: string }) => 'sent',
      },
      log,
      'calcom',
    );
    await expect(activities['calcom.book']({ tenantId: 't1', n: 0 })).resolves.toEqual({ ok: 0 });
    for (const n of [1, 2, 3]) await expect(activities['calcom.book']({ tenantId: 't1', n })).rejects.toThrow();
    await expect(activities.callWebhook({ tenantId: 't2' })).resolves.toBe('sent');
    // A call without a tenant (not a provider call) is not recorded.
    await activities.callWebhook({} as { tenantId: string });
    await log.flush();
    expect(db.rows).toEqual([
      { tenant: 't1', operation: 'calcom.book', ok: true, code: null, status: null },
      { tenant: 't1', operation: 'calcom.book', ok: false, code: 'provider_unavailable', status: 503 },
      { tenant: 't1', operation: 'calcom.book', ok: false, code: 'webhook_timeout', status: null },
      { tenant: 't1', operation: 'calcom.book', ok: false, code: 'internal', status: null },
      { tenant: 't2', operation: 'webhook', ok: true, code: null, status: null },
    ]);
  });

  it('keeps what it could not write for the next flush, within its bound, oldest dropped first', async () => {
    const db = database();
    const errors: string[] = [];
    const log = new ProviderCallLog(db, { maxBuffered: 3, onError: (_err, what) => errors.push(what) });
    const attempt = (operation: string) =>
      log.record({ tenantId: 't', provider: 'twilio', operation, atMs: 0, durationMs: 1, attempt: 1, ok: true });
    db.down = true;
    attempt('a');
    attempt('b');
    await log.flush();
    attempt('c');
    attempt('d');
    await log.flush();
    expect(errors).toEqual(['write', 'write']);
    expect(log.dropped).toBe(1);
    db.down = false;
    await log.close();
    expect(db.rows.map((r) => r.operation)).toEqual(['b', 'c', 'd']);
  });
});
