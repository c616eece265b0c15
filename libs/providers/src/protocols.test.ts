import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPool,
  createTenant,
  generateKeyringSpec,
  listCredentials,
  migrate,
  parseKeyring,
  putCredential,
} from '@switchboard/db';
import { type PostgresServer, startPostgres } from '@switchboard/devstack';
import { crmArchiveTicket } from '@switchboard/operations';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCredentialClient, withCredentialStatus } from './credential-status.js';
import { type CredentialAccess, createCredentialAccess } from './credentials.js';
import { runEffectOnce } from './effect-once.js';
import { errorForStatus } from './errors.js';
import { serveOperation } from './operation.js';

let dir: string;
let postgres: PostgresServer | undefined;
let db: pg.Pool;
let tenantId: string;
let credentials: CredentialAccess;
const keyring = parseKeyring(generateKeyringSpec('test'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-protocols-'));
  // Postgres runs as another user when the tests run as root: it must reach its data directory.
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: join(dir, 'logs'), ephemeral: true });
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  tenantId = (await createTenant(db, 'protocol-tests')).id;
  credentials = createCredentialAccess(db, keyring);
}, 120_000);
afterAll(async () => {
  await db?.end();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const call = () => ({ tenantId, intentId: `int_p${++n}`, stepPointer: '/actions/0', operation: 'test.send' });
const status = async (name: string) => (await listCredentials(db, tenantId)).find((c) => c.name === name);

describe('runEffectOnce', () => {
  it('performs once and answers a repeat with the recorded result', async () => {
    const c = call();
    let sent = 0;
    const perform = async () => ({ result: { sent: ++sent }, ref: 'ref-1' });
    expect(await runEffectOnce(db, c, perform)).toEqual({ sent: 1 });
    expect(await runEffectOnce(db, c, perform)).toEqual({ sent: 1 });
    expect(sent).toBe(1);
  });

  it('hands a retry the earlier attempt’s claim and the reference it noted', async () => {
    const c = call();
    await expect(
      runEffectOnce(db, c, async (claim) => {
        expect(claim.earlier).toBeUndefined();
        await claim.noteRef('SM123');
        throw new Error('connection reset');
      }),
    ).rejects.toThrow('connection reset');
    const seen = await runEffectOnce(db, c, async (claim) => ({
      result: { earlierRef: claim.earlier?.providerRef ?? null, state: claim.earlier?.state ?? null },
    }));
    expect(seen).toEqual({ earlierRef: 'SM123', state: 'started' });
  });

  it('releases only what the operation says certainly did not happen', async () => {
    const fresh = call();
    await expect(
      runEffectOnce(db, fresh, async (claim) => {
        await claim.releaseIfFresh();
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    // Released: the next attempt claims anew.
    expect(
      await runEffectOnce(db, fresh, async (claim) => ({ result: { fresh: claim.earlier === undefined } })),
    ).toEqual({ fresh: true });

    const kept = call();
    await expect(runEffectOnce(db, kept, async () => Promise.reject(new Error('timeout')))).rejects.toThrow();
    await expect(
      runEffectOnce(db, kept, async (claim) => {
        // An earlier attempt's claim is not this attempt's to release.
        await claim.releaseIfFresh();
        throw new Error('again');
      }),
    ).rejects.toThrow('again');
    expect(
      await runEffectOnce(db, kept, async (claim) => ({ result: { fresh: claim.earlier === undefined } })),
    ).toEqual({
      fresh: false,
    });
  });
});

describe('credential status', () => {
  it('marks a refused credential auth_failed with the provider’s reason, an accepted one ok', async () => {
    await putCredential(db, keyring, { tenantId, name: 'k1', provider: 'calcom', secret: { apiKey: 'x' } });
    const use = { tenantId, credential: 'k1', provider: 'calcom' };
    await expect(
      withCredentialStatus(credentials, undefined, use, async () =>
        Promise.reject(errorForStatus('calcom', 401, 'bad')),
      ),
    ).rejects.toMatchObject({ code: 'provider_auth_failed' });
    expect(await status('k1')).toMatchObject({ status: 'auth_failed', statusReason: 'calcom answered 401: bad' });
    expect(await withCredentialStatus(credentials, undefined, use, async () => 'done')).toBe('done');
    expect((await status('k1'))?.status).toBe('ok');
  });

  it('keeps a committed result when recording ok fails, and says so in the log', async () => {
    const warnings: string[] = [];
    const log = { warn: (_: unknown, message: string) => warnings.push(message) };
    const broken: CredentialAccess = { ...credentials, ok: async () => Promise.reject(new Error('db down')) };
    const use = { tenantId, credential: 'k1', provider: 'calcom' };
    expect(await withCredentialStatus(broken, log as never, use, async () => ({ booking: 1 }))).toEqual({ booking: 1 });
    expect(warnings).toEqual(['could not record credential status']);
  });

  it('refuses a secret that cannot make a client before any request, marking it auth_failed', async () => {
    await putCredential(db, keyring, { tenantId, name: 'k2', provider: 'calcom', secret: { other: 'x' } });
    let worked = false;
    const use = { tenantId, credential: 'k2', provider: 'calcom', kind: 'calcom' as const };
    await expect(
      withCredentialClient(
        credentials,
        undefined,
        use,
        (secret) => (secret.apiKey ? { client: secret.apiKey } : { refused: "credential 'k2' has no apiKey" }),
        async () => {
          worked = true;
        },
      ),
    ).rejects.toMatchObject({ code: 'provider_auth_failed', retryable: false });
    expect(worked).toBe(false);
    expect(await status('k2')).toMatchObject({ status: 'auth_failed', statusReason: "credential 'k2' has no apiKey" });
  });
});

describe('serveOperation', () => {
  it('parses the payload with the spec before the implementation runs', async () => {
    const seen: unknown[] = [];
    const acts = serveOperation(crmArchiveTicket, async (_call, input) => {
      seen.push(input);
      return { ok: true };
    });
    const base = { ...call(), conversationId: 'c', sandbox: false, operation: crmArchiveTicket.name };
    await expect(
      acts['crm.archive_ticket']!({ ...base, payload: { credential: 'h', ticket_id: 'x' } }),
    ).rejects.toMatchObject({ code: 'provider_invalid_input', retryable: false });
    expect(seen).toEqual([]);
    expect(await acts['crm.archive_ticket']!({ ...base, payload: { credential: 'h', ticket_id: '42' } })).toEqual({
      ok: true,
    });
    expect(seen).toEqual([{ credential: 'h', id: '42' }]);
  });
});
