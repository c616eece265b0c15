/** The CPU split and the nice setting on a real process tree (children of this test, not the stack). */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlacement } from './placement.js';
import { tree } from './procstat.js';

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const cpusOf = (pid: number) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

let root: ChildProcess | undefined;
afterEach(() => {
  // The shell's children go with their process group.
  if (root?.pid !== undefined) process.kill(-root.pid, 'SIGKILL');
  root = undefined;
});

/** A stand-in stack: a shell (the root) with two sleeping children, one of them "the service". */
async function stack(): Promise<{ root: number; service: number; other: number }> {
  root = spawn('sh', ['-c', 'sleep 60 & sleep 60 & wait'], { detached: true, stdio: 'ignore' });
  const pid = root.pid as number;
  for (let i = 0; i < 100; i++) {
    const kids = tree(pid).slice(1);
    if (kids.length === 2) return { root: pid, service: kids[0] as number, other: kids[1] as number };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the stand-in stack did not start');
}

describe.skipIf(process.platform !== 'linux' || !hasTaskset || availableParallelism() < 2)('placement', () => {
  it('pins the service to CPU 0 and the rest of the tree, the root included, to CPU 1', async () => {
    const s = await stack();
    const done = applyPlacement(
      { cpuSplit: 'service', conversationNice: undefined },
      { conversation: s.service, postgres: undefined, nats: undefined, stackRoot: s.root },
    );
    expect(done.front).toEqual([s.service]);
    expect(done.rest.sort()).toEqual([s.root, s.other].sort());
    expect([cpusOf(s.service), cpusOf(s.other), cpusOf(s.root)]).toEqual(['0', '1', '1']);
  });

  it('puts the path (here: the other child as "Postgres") on CPU 0 with the service, and renices the service only', async () => {
    const s = await stack();
    applyPlacement(
      { cpuSplit: 'path', conversationNice: 7 },
      { conversation: s.service, postgres: s.other, nats: s.other, stackRoot: s.root },
    );
    expect([cpusOf(s.service), cpusOf(s.other), cpusOf(s.root)]).toEqual(['0', '0', '1']);
    expect(getPriority(s.service)).toBe(7);
    expect(getPriority(s.other)).toBe(getPriority(s.root));
  });
});
