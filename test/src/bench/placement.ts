/**
 * Where the stack's processes run (issue 18, goal 5: is the time to the first event the path's
 * own cost, or the conversation service waiting for a CPU?). Two experiments, both scheduling
 * settings of a deployment, not changes to Switchboard's code:
 * - **CPU split** (`service`): the conversation service (every thread) alone on CPU 0; every
 *   other process of the stack — Temporal, Postgres (new backends inherit the postmaster's
 *   mask), NATS, the orchestrator, the workers and this process (the load generator and the
 *   provider sandboxes) — on CPU 1. `path`: the conversation service with Postgres and NATS (what
 *   a tool call waits on until `accepted`) on CPU 0, the rest on CPU 1. Processes outside the
 *   stack (other users' work) are left alone, so CPU 0 is the stack's own only on an otherwise
 *   idle machine.
 * - **Priority**: a nice value for every thread of the conversation service (the front door
 *   before the rest of the stack). Linux's autogroups make nice relative within a session, and
 *   the stack is one session (this process's), so it orders the service against the stack, not
 *   against other users' sessions.
 * Linux only: affinity through util-linux's `taskset -a -p` (Node has no `sched_setaffinity`),
 * nice through `os.setPriority` per thread id (Linux's nice is per thread).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';
import { tree } from './procstat.js';

/** What goes on CPU 0 with `--cpu-split` (see the module comment). */
export const CpuSplits = ['service', 'path'] as const;
export type CpuSplit = (typeof CpuSplits)[number];

/** How the stack is placed on the CPUs; nothing set is the scheduler's own placement. */
export interface Placement {
  /** What runs on CPU 0 (the rest of the stack on CPU 1); undefined: no split. */
  cpuSplit: CpuSplit | undefined;
  /** Nice value (-20..19) for every thread of the conversation service; below 0 needs root. */
  conversationNice: number | undefined;
}

/** Why a placement cannot be applied here: a missing tool, a one-CPU machine, no permission. */
export class PlacementError extends Error {
  readonly code = 'bench_placement_unavailable';
  readonly retryable = false;
}

/** What a placement did, for the log: the pids on each CPU. */
export interface PlacementReport {
  description: string;
  /** Pinned to CPU 0 (empty without the split): the conversation service, with `path` Postgres and NATS too. */
  front: number[];
  /** The rest of the stack, pinned to CPU 1 (empty without the split). */
  rest: number[];
}

/** The roots of the process trees a placement moves. */
export interface PlacedProcesses {
  conversation: number;
  /** Postgres's and NATS's servers (on CPU 0 with `path`). */
  postgres: number | undefined;
  nats: number | undefined;
  /** What every part of the stack descends from (this process). */
  stackRoot: number;
}

/** A readable line of what `p` asks for, or undefined when it asks for nothing. */
export function describePlacement(p: Placement): string | undefined {
  const front = p.cpuSplit === 'path' ? 'conversation service, Postgres and NATS' : 'conversation service alone';
  const parts = [
    ...(p.cpuSplit ? [`${front} on CPU 0, the rest of the stack (load generator included) on CPU 1`] : []),
    ...(p.conversationNice !== undefined ? [`conversation service at nice ${p.conversationNice}`] : []),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** Threads of a process (`/proc/<pid>/task`); empty when it is gone. */
function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Pins every thread of each process to `cpu`; threads and children started later inherit the mask. */
function pinAll(pids: readonly number[], cpu: number): void {
  for (const pid of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    } catch {
      // One that exited since it was listed (a Postgres backend) is no longer in the way.
      if (threadsOf(pid).length > 0) throw new PlacementError(`could not pin pid ${pid} to CPU ${cpu}`);
    }
  }
}

/** Throws {@link PlacementError} when `p` cannot be applied on this machine. */
export function checkPlacement(p: Placement): void {
  if (p.cpuSplit) {
    if (process.platform !== 'linux') throw new PlacementError('--cpu-split needs Linux (taskset)');
    if (availableParallelism() < 2) throw new PlacementError('--cpu-split needs at least 2 CPUs');
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    } catch (err) {
      throw new PlacementError(`--cpu-split needs util-linux's taskset: ${(err as Error).message}`);
    }
  }
}

/** Applies `p` to the stack now. Call again after a service restarts. */
export function applyPlacement(p: Placement, processes: PlacedProcesses): PlacementReport {
  const conversation = tree(processes.conversation);
  const roots = p.cpuSplit === 'path' ? [processes.postgres, processes.nats] : [];
  if (roots.includes(undefined)) throw new PlacementError('--cpu-split=path: Postgres or NATS not found');
  const front = p.cpuSplit ? [...conversation, ...roots.flatMap((root) => tree(root as number))] : [];
  const rest = p.cpuSplit ? tree(processes.stackRoot).filter((pid) => !front.includes(pid)) : [];
  try {
    if (p.cpuSplit) {
      pinAll(front, 0);
      pinAll(rest, 1);
    }
    if (p.conversationNice !== undefined) {
      for (const pid of conversation) for (const tid of threadsOf(pid)) setPriority(tid, p.conversationNice);
    }
  } catch (err) {
    if (err instanceof PlacementError) throw err;
    throw new PlacementError(`placement failed: ${(err as Error).message}`, { cause: err });
  }
  return { description: describePlacement(p) ?? 'scheduler default', front, rest };
}
