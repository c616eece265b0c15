import { describe, expect, it } from 'vitest';
import { emptyWork } from './chain-work.js';
import { cpuPerChain, evaluateGoals, workDifferences } from './goals.js';
import type { LevelReport, SectionReport } from './report.js';
import type { ScaleFigures } from './scale.js';
import { summarize } from './stats.js';

const level = (
  concurrency: number,
  o: { chainsPerSecond?: number; chainP50?: number; firstEvents?: number[]; cpu?: Record<string, number> },
): LevelReport => ({
  concurrency,
  chains: 10,
  failed: 0,
  errors: [],
  wallMs: 1000,
  chainsPerSecond: o.chainsPerSecond ?? 1,
  chain: summarize([o.chainP50 ?? 100]),
  timeToFirstEvent: summarize(o.firstEvents ?? []),
  timeToResult: summarize([]),
  extra: {},
  processes: Object.entries(o.cpu ?? {}).map(([name, cpuSeconds], pid) => ({
    name,
    pid,
    cpuSeconds,
    cpuPercent: 0,
    peakRssMb: 1,
    endRssMb: 1,
    processes: 1,
  })),
});

const section = (name: SectionReport['section'], levels: LevelReport[]): SectionReport => ({
  section: name,
  description: '',
  notes: [],
  levels,
  work: { ...emptyWork(), workflows: 3, workflowTasks: 9 },
});

describe('goals of issue 18', () => {
  it('sums every process but the engine and the load generator as own CPU, per successful chain', () => {
    const l = level(10, { cpu: { temporal: 4, orchestrator: 2, postgres: 1, 'bench (load+sandboxes)': 50 } });
    expect(cpuPerChain({ ...l, failed: 2 })).toEqual({ own: 3 / 8, engine: 4 / 8 });
  });

  it('judges each ratio against its bound and says what was not measured', () => {
    const sb = section('switchboard', [
      level(1, { chainP50: 110 }),
      level(10, { chainsPerSecond: 8, firstEvents: [5, 10, 12, 40], cpu: { temporal: 10, orchestrator: 4 } }),
    ]);
    const eq = section('equal-work', [level(1, { chainP50: 100 }), level(10, { chainsPerSecond: 10 })]);
    const goals = evaluateGoals([sb, eq], null);
    const by = (goal: number, what: string) => goals.find((g) => g.goal === goal && g.what.includes(what));
    expect(by(1, '')?.met).toBe(true);
    expect(by(2, '@10')).toMatchObject({ value: 0.4, met: true });
    expect(by(2, '@50')).toMatchObject({ value: null, met: null });
    expect(by(3, '@10')).toMatchObject({ value: 0.8, met: true });
    expect(by(4, '@1')?.value).toBeCloseTo(1.1);
    expect(by(4, '@1')?.met).toBe(true);
    expect(by(5, '')).toMatchObject({ value: 10, met: true });
    expect(by(6, 'fire rate')).toMatchObject({ value: null, met: null });
  });

  it('fails the first goal when the two chains’ work differs, and the fifth on a slow p99', () => {
    const sb = section('switchboard', [level(10, { firstEvents: [5, 5, 5, 60] })]);
    const eq = { ...section('equal-work', []), work: { ...emptyWork(), workflows: 3, workflowTasks: 8 } };
    const goals = evaluateGoals([sb, eq], null);
    expect(goals.find((g) => g.goal === 1)).toMatchObject({ met: false, detail: 'differs: workflowTasks 9 vs 8' });
    expect(goals.find((g) => g.goal === 5)?.met).toBe(false);
    expect(workDifferences(sb.work as never, sb.work as never)).toEqual([]);
  });

  it('compares the lifecycles’ fire rate with the bare workflows’ and reports memory per waiting lifecycle', () => {
    const scale = {
      started: 1000,
      fired: 900,
      firedPerSecond: 90,
      bare: { firedPerSecond: 100, fired: 900 },
      memory: [{ name: 'orchestrator', baselineMb: 100, waitingMb: 200, afterMb: 0, peakMb: 0 }],
    } as unknown as ScaleFigures;
    const goals = evaluateGoals([], scale).filter((g) => g.goal === 6);
    expect(goals[0]).toMatchObject({ value: 0.9, met: true });
    expect(goals[1]).toMatchObject({ met: null });
    expect(goals[1]?.value).toBeCloseTo(102.4);
  });
});
