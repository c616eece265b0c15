/**
 * The template of throw-away Postgres clusters: one initialised cluster per machine, Postgres
 * binary and settings, which every ephemeral start copies (`cp -a`) instead of running initdb —
 * initdb costs seconds of CPU, a copy a fraction of one, and every end-to-end test file starts a
 * cluster.
 *
 * It is a cache, kept in the temporary directory as `switchboard-pg-template-<key>` (the key
 * changes with the binary, so a new Postgres makes a new one). Nothing removes it: deleting it is
 * always safe while no stack is starting (`rm -rf "${TMPDIR:-/tmp}"/switchboard-pg-template-*`),
 * and the next ephemeral start makes it again.
 *
 * Made once however many processes need it at the same moment (two vitest workers do at the
 * start of a run): the one that takes the lock `<template>.lock` (bin/pid-lock.mjs, as the Go
 * tools' builds) runs initdb beside the template and renames the result into place, so nobody
 * ever sees half of one; the others wait for it. A lock or a half-made cluster left by a process
 * that died (killed during initdb) is taken over and removed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { isAlive, takePidLock } from '../bin/pid-lock.mjs';

/** How long a start waits for another process to make the template before running initdb itself. */
const LOCK_WAIT_MS = 180_000;

/**
 * Where the template for `binary` with `settings` (whatever else initdb is given) lives under
 * `root` (default: the temporary directory).
 */
export function postgresTemplateDir(binary: string, settings: string, root: string = tmpdir()): string {
  const key = createHash('sha256')
    .update(`${binary}:${statSync(binary).mtimeMs}:${settings}`)
    .digest('hex')
    .slice(0, 16);
  return join(root, `switchboard-pg-template-${key}`);
}

/**
 * Fills the empty folder `dataDir` with a copy of `template`, first making the template with
 * `initialise` (initdb into a folder that does not exist yet) if there is none. `cp -a` keeps the
 * owner (the `postgres` user when we are root) and the 0700 mode Postgres requires.
 */
export async function copyPostgresTemplate(
  template: string,
  dataDir: string,
  initialise: (dir: string) => Promise<void>,
): Promise<void> {
  if (!(await templateMade(template, initialise))) {
    // Another process held the lock all along (a very slow initdb): do not wait on it forever.
    await initialise(dataDir);
    return;
  }
  rmdirSync(dataDir);
  await promisify(execFile)('cp', ['-a', template, dataDir]).catch((err: Error) => {
    throw new Error(`copying the Postgres template ${basename(template)} to ${dataDir} failed: ${err.message}`);
  });
}

/** Makes the template unless it exists; false if another process held the lock past the wait. */
async function templateMade(template: string, initialise: (dir: string) => Promise<void>): Promise<boolean> {
  if (existsSync(join(template, 'PG_VERSION'))) return true;
  const release = await takePidLock(`${template}.lock`, { pollMs: 200, timeoutMs: LOCK_WAIT_MS });
  if (release === undefined) return false;
  try {
    // Made by the holder this one waited for.
    if (existsSync(join(template, 'PG_VERSION'))) return true;
    removeAbandoned(template);
    const staging = mkdtempSync(`${template}-staging-${process.pid}-`);
    // mkdtemp makes the folder private (0700); as root, initdb runs as postgres and must reach it.
    chmodSync(staging, 0o755);
    try {
      await initialise(join(staging, 'data'));
      renameSync(join(staging, 'data'), template);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return true;
  } finally {
    release();
  }
}

/**
 * What processes that died while making the template left: their staging folders (named with
 * their pid; an older release's, without one, once they are an hour old).
 */
function removeAbandoned(template: string): void {
  const prefix = `${basename(template)}-staging-`;
  for (const name of readdirSync(dirname(template))) {
    if (!name.startsWith(prefix)) continue;
    const path = join(dirname(template), name);
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    const abandoned = pid > 0 ? !isAlive(pid) : Date.now() - statSync(path).mtimeMs > 3_600_000;
    if (abandoned) rmSync(path, { recursive: true, force: true });
  }
}
