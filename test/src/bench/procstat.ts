/**
 * CPU time and memory of the stack's processes, read from Linux's /proc. Each tracked process
 * is a tree (Postgres forks a backend per connection; its work shows up in the children), so
 * CPU is summed over the tree, including children that have already exited (`cutime`/`cstime`
 * of the root), and memory is sampled over the tree (PSS, so shared buffers count once).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;
/** RSS is sampled this often while a measurement runs. */
const SAMPLE_EVERY_MS = 200;

/** A process to measure: a name for the report and its pid (the root of its tree). */
export interface TrackedProcess {
  name: string;
  pid: number;
  /** Count the process alone, not its descendants (the bench process, parent of everything). Default false. */
  alone?: boolean;
}

/** What one process tree used while a measurement ran. */
export interface ProcessUsage {
  name: string;
  pid: number;
  /** CPU time (user + system) of the tree during the measurement, in seconds. */
  cpuSeconds: number;
  /** `cpuSeconds` over the wall time, in % of one core (200 = both cores of a 2-core machine). */
  cpuPercent: number;
  /**
   * Peak resident memory in MB: the largest sample (VmRSS of a single process; summed PSS of a
   * tree of several, shared pages counted once), or the root's VmHWM when that is larger (it
   * catches peaks between samples; reset at the start of each measurement, so it is this
   * measurement's peak).
   */
  peakRssMb: number;
  /** Resident memory when the measurement ended (as for the peak), in MB. */
  endRssMb: number;
  /** Processes in the tree when the measurement ended. */
  processes: number;
}

interface Stat {
  ppid: number;
  /** utime + stime, ticks. */
  own: number;
  /** cutime + cstime (children waited for), ticks. */
  children: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const n = (field: number) => Number(fields[field - 3]);
    return { ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) };
  } catch {
    return undefined;
  }
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every live pid with its parent, read once. */
function processTable(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) parents.set(Number(entry), stat.ppid);
  }
  return parents;
}

/** `root` and all its live descendants (`parents`: a {@link processTable}; read now when left out). */
export function tree(root: number, parents: Map<number, number> = processTable()): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === out[i]) out.push(pid);
  }
  return out;
}

/** The command name (`comm`) of a process, or undefined when it is gone. */
function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The infrastructure servers this process started (devstack spawns them as direct children):
 * `nats-server`, `temporal` and `postgres`, found by command name among this process's children.
 */
export function findInfraProcesses(): TrackedProcess[] {
  const parents = processTable();
  const found: TrackedProcess[] = [];
  for (const [pid, ppid] of parents) {
    if (ppid !== process.pid) continue;
    const name = comm(pid);
    if (name === 'nats-server' || name === 'temporal' || name === 'postgres') found.push({ name, pid });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Sets the root's VmHWM back to its current RSS (Linux `clear_refs` 5); false when not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface TreeState {
  process: TrackedProcess;
  startTicks: number;
  peakKb: number;
  hwmReset: boolean;
}

/** The pids measured for `p`: its tree, or itself alone. */
const members = (p: TrackedProcess, parents: Map<number, number>) => (p.alone ? [p.pid] : tree(p.pid, parents));

/** CPU ticks of a tree: its live members' own time plus the root's reaped children (not for `alone`). */
function treeTicks(p: TrackedProcess, parents: Map<number, number>): number {
  let ticks = 0;
  for (const pid of members(p, parents)) {
    const stat = readStat(pid);
    if (!stat) continue;
    ticks += stat.own + (pid === p.pid && !p.alone ? stat.children : 0);
  }
  return ticks;
}

/** Proportional set size: shared pages divided among the processes sharing them. */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : statusKb(pid, 'VmRSS');
  } catch {
    return statusKb(pid, 'VmRSS');
  }
}

/**
 * Memory of a tree: one process's VmRSS, or for several (Postgres and its backends, which
 * share its buffers) the sum of their PSS, so shared memory is counted once.
 */
function treeRssKb(p: TrackedProcess, parents: Map<number, number>): { kb: number; count: number } {
  const pids = members(p, parents);
  const kb = pids.length === 1 ? statusKb(p.pid, 'VmRSS') : pids.reduce((sum, pid) => sum + pssKb(pid), 0);
  return { kb, count: pids.length };
}

/** A running measurement of several process trees; `stop()` returns what each used. */
export interface UsageMeter {
  stop(): ProcessUsage[];
}

/**
 * Starts measuring CPU and memory of the given process trees. A postgres backend that starts
 * and exits within one measurement is counted only through the root's `cutime` (Postgres reaps
 * its children), which is exact; one that lives on is counted by its own times.
 */
export function startUsageMeter(processes: readonly TrackedProcess[]): UsageMeter {
  const startedAt = performance.now();
  const parents = processTable();
  const states: TreeState[] = processes.map((p) => ({
    process: p,
    startTicks: treeTicks(p, parents),
    peakKb: treeRssKb(p, parents).kb,
    hwmReset: resetPeak(p.pid),
  }));
  const sample = () => {
    const table = processTable();
    for (const s of states) s.peakKb = Math.max(s.peakKb, treeRssKb(s.process, table).kb);
  };
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      const seconds = (performance.now() - startedAt) / 1000;
      const table = processTable();
      return states.map((s) => {
        const rss = treeRssKb(s.process, table);
        const hwm = s.hwmReset ? statusKb(s.process.pid, 'VmHWM') : 0;
        const cpuSeconds = Math.max(0, treeTicks(s.process, table) - s.startTicks) / TICKS_PER_SECOND;
        return {
          name: s.process.name,
          pid: s.process.pid,
          cpuSeconds,
          cpuPercent: seconds > 0 ? (100 * cpuSeconds) / seconds : 0,
          peakRssMb: Math.max(s.peakKb, rss.kb, hwm) / 1024,
          endRssMb: rss.kb / 1024,
          processes: rss.count,
        };
      });
    },
  };
}

/** Resident memory of a process (tree) now, in MB. */
export function rssMb(p: TrackedProcess): number {
  return treeRssKb(p, processTable()).kb / 1024;
}
