// A lock between the processes of one machine: a directory made atomically, with its holder's
// pid in it. Plain JavaScript, because go-tools.mjs takes it before the TypeScript build exists;
// the dev stack's TypeScript takes it too (pid-lock.d.mts).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process with this pid exists (as any user). */
export function isAlive(pid) {
  try {
    return process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Takes the lock `lockDir`, waiting while another live process holds it; resolves to the
 * function that releases it, or to undefined once `timeoutMs` passed without it. A lock whose
 * holder died, one without a pid for more than a minute, and any older than two hours is stale:
 * it is broken and taken. `onWait(holder)` is called once, when the first attempt finds it held.
 */
export async function takePidLock(lockDir, { pollMs = 5_000, timeoutMs = Number.POSITIVE_INFINITY, onWait } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(lockDir);
      writeFileSync(`${lockDir}/pid`, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(`${lockDir}/pid`, 'utf8'));
    } catch {}
    const alive = holder > 0 && isAlive(holder);
    const age = Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((!alive && (holder > 0 || age > 60_000)) || age > 2 * 3600_000) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() >= deadline) return undefined;
    if (waited === 0) onWait?.(holder);
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
}
