/**
 * The template of throw-away Postgres clusters, in a folder of its own (not the machine's): made
 * once by whoever holds its lock while the others wait, and made again over a lock and a
 * half-made cluster left by a process that died. Real Postgres binaries throughout.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres, templateOfThrowAwayClusters } from './postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-template-test-'));
// As root, initdb runs as postgres and must reach the folders.
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh folder for the template, and one for the clusters' data. */
function folders(name: string): { root: string; data: string } {
  const root = join(dir, name, 'templates');
  const data = join(dir, name, 'data');
  mkdirSync(root, { recursive: true });
  mkdirSync(data, { recursive: true });
  for (const d of [join(dir, name), root, data]) chmodSync(d, 0o755);
  return { root, data };
}

/** Both clusters answer, and each is its own (a table made in one is not in the other). */
async function expectTwoWorkingClusters(servers: PostgresServer[]): Promise<void> {
  for (const [i, server] of servers.entries()) {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(`CREATE TABLE only_in_${i} (x int)`);
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'only_in_%'`,
      );
      expect(rows[0]?.n).toBe('1');
    } finally {
      await client.end();
    }
  }
}

/** Two throw-away clusters starting at once with their template under `root`. */
const startTwo = (root: string, data: string) =>
  Promise.all(['a', 'b'].map((n) => startPostgres({ dataDir: join(data, n), ephemeral: true, templateRoot: root })));

/**
 * Both clusters work, each its own; `root` then holds the template alone (no lock, nothing half
 * made). Stops them.
 */
async function expectTemplateServed(servers: PostgresServer[], root: string, template: string): Promise<void> {
  try {
    await expectTwoWorkingClusters(servers);
    expect(readdirSync(root)).toEqual([basename(template)]);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid ?? 0;
}

describe('the template of throw-away Postgres clusters', () => {
  it('is made by the one start that holds its lock; the others wait, then copy it', async () => {
    const { root, data } = folders('held');
    const template = templateOfThrowAwayClusters(root);
    const lock = `${template}.lock`;
    // Held by a live process (this one) as if it were making the template.
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    const starting = startTwo(root, data);
    await new Promise((r) => setTimeout(r, 1500));
    // Nobody runs initdb beside a held lock.
    expect(readdirSync(root)).toEqual([basename(lock)]);
    rmSync(lock, { recursive: true });
    await expectTemplateServed(await starting, root, template);
  }, 180_000);

  it('is made over the lock and the half-made cluster of a process that died', async () => {
    const { root, data } = folders('abandoned');
    const template = templateOfThrowAwayClusters(root);
    const dead = deadPid();
    mkdirSync(`${template}.lock`);
    writeFileSync(join(`${template}.lock`, 'pid'), String(dead));
    mkdirSync(`${template}-staging-${dead}-x1y2z3/data`, { recursive: true });
    await expectTemplateServed(await startTwo(root, data), root, template);
  }, 180_000);
});
