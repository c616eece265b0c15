/**
 * The six goals of issue 18, each a ratio (or a bound) read from one run's report: met, not met,
 * or not measured (its section or level was not in the run). Pure: the report is the input.
 */
import type { ChainWork } from './chain-work.js';
import type { LevelReport, SectionReport } from './report.js';
import type { ScaleFigures } from './scale.js';
import { ratio } from './stats.js';

/** The Temporal server's process name in the bench's process list. */
const ENGINE = 'temporal';
/** Not Switchboard's cost: the load generator (with the sandboxes and the in-process ceilings). */
const LOAD = 'bench (load+sandboxes)';

/** One goal's verdict. */
export interface Goal {
  goal: number;
  /** What is compared, with its bound, e.g. `own CPU ÷ Temporal CPU per chain @10 ≤ 0.5`. */
  what: string;
  /** The measured figure (a ratio or ms); null when not measured. */
  value: number | null;
  /** True met, false not met, null not measured or only reported. */
  met: boolean | null;
  /** How the value came about (the figures it divides). */
  detail: string;
}

/** Switchboard's own CPU per chain (all processes but the engine and the load) and the engine's. */
export function cpuPerChain(level: LevelReport): { own: number; engine: number } {
  let own = 0;
  let engine = 0;
  for (const p of level.processes) {
    if (p.name === ENGINE) engine += p.cpuSeconds;
    else if (p.name !== LOAD) own += p.cpuSeconds;
  }
  const chains = Math.max(1, level.chains - level.failed);
  return { own: own / chains, engine: engine / chains };
}

/** The counts two chains' work must agree on (types of activities and workflows are named differently). */
const WORK_KEYS = [
  'workflows',
  'historyEvents',
  'workflowTasks',
  'activities',
  'localActivities',
  'timers',
  'signals',
  'externalSignals',
  'childWorkflows',
  'searchAttributeUpserts',
] as const satisfies readonly (keyof ChainWork)[];

/** The keys where two chains' work differs (empty: equal work). */
export function workDifferences(a: ChainWork, b: ChainWork): string[] {
  return WORK_KEYS.filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k]} vs ${b[k]}`);
}

const f2 = (v: number | null) => (v === null ? '-' : v.toFixed(2));
const ms1 = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);

/** The six goals from the sections and the scale figures of one run. */
export function evaluateGoals(
  sections: readonly SectionReport[],
  scale: (ScaleFigures & { error?: string }) | null,
): Goal[] {
  const section = (name: SectionReport['section']) => sections.find((s) => s.section === name && !s.error);
  const level = (name: SectionReport['section'], c: number) => section(name)?.levels.find((l) => l.concurrency === c);
  const goals: Goal[] = [];

  const sbWork = section('switchboard')?.work;
  const eqWork = section('equal-work')?.work;
  const diffs = sbWork && eqWork ? workDifferences(sbWork, eqWork) : null;
  goals.push({
    goal: 1,
    what: 'equal-work ceiling does the engine work of one booking chain',
    value: null,
    met: diffs === null ? null : diffs.length === 0,
    detail:
      diffs === null
        ? 'needs the switchboard and equal-work sections with a warm-up'
        : diffs.length === 0
          ? `same counts from both histories (${sbWork?.historyEvents} events, ${sbWork?.workflowTasks} workflow tasks per chain)`
          : `differs: ${diffs.join(', ')}`,
  });

  for (const c of [10, 50]) {
    const sb = level('switchboard', c);
    const cpu = sb ? cpuPerChain(sb) : null;
    const value = cpu ? ratio(cpu.own, cpu.engine) : null;
    goals.push({
      goal: 2,
      what: `own CPU ÷ Temporal server CPU per chain @${c} ≤ 0.5`,
      value,
      met: value === null ? null : value <= 0.5,
      detail: cpu
        ? `${(cpu.own * 1000).toFixed(0)} ms ÷ ${(cpu.engine * 1000).toFixed(0)} ms CPU per chain`
        : 'not measured',
    });
  }
  for (const c of [10, 50]) {
    const sb = level('switchboard', c);
    const eq = level('equal-work', c);
    const value = sb && eq ? ratio(sb.chainsPerSecond, eq.chainsPerSecond) : null;
    goals.push({
      goal: 3,
      what: `throughput ÷ equal-work ceiling @${c} ≥ 0.8`,
      value,
      met: value === null ? null : value >= 0.8,
      detail: sb && eq ? `${f2(sb.chainsPerSecond)} ÷ ${f2(eq.chainsPerSecond)} chains/s` : 'not measured',
    });
  }
  {
    const sb = level('switchboard', 1);
    const eq = level('equal-work', 1);
    const value = sb && eq ? ratio(sb.chain.p50, eq.chain.p50) : null;
    goals.push({
      goal: 4,
      what: 'chain p50 ÷ equal-work ceiling chain p50 @1 ≤ 1.15',
      value,
      met: value === null ? null : value <= 1.15,
      detail: sb && eq ? `${ms1(sb.chain.p50)} ÷ ${ms1(eq.chain.p50)}` : 'not measured',
    });
  }
  {
    const sb = level('switchboard', 10);
    const p50 = sb?.timeToFirstEvent.p50 ?? null;
    const p99 = sb?.timeToFirstEvent.p99 ?? null;
    goals.push({
      goal: 5,
      what: 'first speakable event @10: p50 ≤ 15 ms, p99 ≤ 50 ms',
      value: p50,
      met: p50 === null || p99 === null ? null : p50 <= 15 && p99 <= 50,
      detail: sb
        ? `p50 ${ms1(p50)}, p99 ${ms1(p99)} (tool call sent → its first SSE event at the client)`
        : 'not measured',
    });
  }
  {
    const rate = scale?.bare ? ratio(scale.firedPerSecond, scale.bare.firedPerSecond) : null;
    goals.push({
      goal: 6,
      what: 'lifecycle reminder timers due together: fire rate ÷ bare workflow’s ≥ 0.8',
      value: rate,
      met: rate === null ? null : rate >= 0.8,
      detail:
        scale?.bare && rate !== null
          ? `${f2(scale.firedPerSecond)} ÷ ${f2(scale.bare.firedPerSecond)} timers/s (${scale.fired} and ${scale.bare.fired} due together)`
          : 'needs the scale section',
    });
    const waiting = Math.max(1, scale?.started ?? 0);
    for (const m of scale?.memory ?? []) {
      const kb = ((m.waitingMb - m.baselineMb) * 1024) / waiting;
      goals.push({
        goal: 6,
        what: `memory per waiting lifecycle, ${m.name} (reported)`,
        value: kb,
        met: null,
        detail: `${kb.toFixed(1)} KB: RSS ${m.baselineMb.toFixed(0)} → ${m.waitingMb.toFixed(0)} MB over ${waiting} lifecycles (+ as many SMS threads)`,
      });
    }
  }
  return goals;
}

/** The printed goals table. */
export function formatGoals(goals: readonly Goal[]): string[] {
  const verdict = (g: Goal) =>
    g.met === null ? (g.value === null ? 'not measured' : 'reported') : g.met ? 'MET' : 'NOT MET';
  return goals.map(
    (g) =>
      `${g.goal}. ${g.what.padEnd(66)} ${(g.value === null ? '-' : g.value.toFixed(2)).padStart(8)}  ${verdict(g).padEnd(12)} ${g.detail}`,
  );
}
