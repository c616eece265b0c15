/** The bench report: comparisons between sections, the printed tables and the JSON document. */
import { type ChainWork, formatWork } from './chain-work.js';
import { formatGoals, type Goal } from './goals.js';
import { formatHops, type HopTable } from './hops.js';
import type { BenchOptions, BenchSection } from './options.js';
import { describePlacement } from './placement.js';
import type { ProcessUsage } from './procstat.js';
import type { ScaleFigures } from './scale.js';
import { type LevelFigures, ratio, type Summary } from './stats.js';

/** One concurrency level of a section, with what the processes used meanwhile. */
export interface LevelReport extends LevelFigures {
  /** Section-specific figures (e.g. provider requests per chain). */
  extra: Record<string, number>;
  processes: ProcessUsage[];
  /** The level's chains hop by hop (sections with a session workflow). */
  hops?: HopTable;
}

/** One chain section (a ceiling, the baseline or Switchboard). */
export interface SectionReport {
  section: Exclude<BenchSection, 'scale'>;
  description: string;
  notes: string[];
  levels: LevelReport[];
  /** Engine work of one chain (the last warm-up chain's histories), where the section has workflows. */
  work?: ChainWork;
  /** Set when the section could not run to the end. */
  error?: string;
}

type Percentiles = Pick<Summary, 'p50' | 'p95' | 'p99' | 'max'>;

/** Switchboard's figures at one level as ratios to another section's (Switchboard ÷ other). */
export interface Ratios {
  /** Switchboard's chains/s ÷ the other's: below 1 means slower. */
  chainsPerSecond: number | null;
  chain: Percentiles;
  timeToFirstEvent: Percentiles;
  timeToResult: Percentiles;
}

/** Switchboard against the ceilings and the baseline at one concurrency level. */
export interface Comparison {
  concurrency: number;
  vsTemporalCeiling: Ratios | null;
  vsNatsCeiling: Ratios | null;
  /** The durability tax: Switchboard ÷ the naive in-process chain. */
  vsNaive: Ratios | null;
  /**
   * Orchestration overhead, ms: Switchboard minus provider time, where provider time is what
   * the naive chain (nothing but the provider calls) took at the same level and percentile.
   */
  overheadMs: { chain: Percentiles; perToolCall: Percentiles } | null;
}

/** The whole JSON document. */
export interface BenchReport {
  bench: 'switchboard';
  preliminary: string;
  startedAt: string;
  finishedAt: string;
  host: { cpus: number; memoryMb: number; node: string; loadAverageStart: number[]; loadAverageEnd: number[] };
  options: BenchOptions;
  sections: SectionReport[];
  comparisons: Comparison[];
  /** `sb-export` ÷ `switchboard` per concurrency: what exporting telemetry costs (empty without both). */
  exportCost: { concurrency: number; ratios: Ratios }[];
  scale: (ScaleFigures & { error?: string }) | null;
  /** The six goals of issue 18 as ratios, met or not (goals.ts). */
  goals: Goal[];
}

const each = (a: Summary, b: Summary, f: (x: number | null, y: number | null) => number | null): Percentiles => ({
  p50: f(a.p50, b.p50),
  p95: f(a.p95, b.p95),
  p99: f(a.p99, b.p99),
  max: f(a.max, b.max),
});
const minus = (x: number | null, y: number | null) => (x === null || y === null ? null : x - y);

function ratios(sb: LevelFigures, other: LevelFigures | undefined): Ratios | null {
  if (!other) return null;
  return {
    chainsPerSecond: ratio(sb.chainsPerSecond, other.chainsPerSecond),
    chain: each(sb.chain, other.chain, ratio),
    timeToFirstEvent: each(sb.timeToFirstEvent, other.timeToFirstEvent, ratio),
    timeToResult: each(sb.timeToResult, other.timeToResult, ratio),
  };
}

/** Compares Switchboard's levels with the other sections' levels of the same concurrency. */
export function compare(sections: readonly SectionReport[]): Comparison[] {
  const find = (name: SectionReport['section'], concurrency: number) =>
    sections.find((s) => s.section === name)?.levels.find((l) => l.concurrency === concurrency);
  const sb = sections.find((s) => s.section === 'switchboard');
  return (sb?.levels ?? []).map((level) => {
    const naive = find('naive', level.concurrency);
    return {
      concurrency: level.concurrency,
      vsTemporalCeiling: ratios(level, find('temporal', level.concurrency)),
      vsNatsCeiling: ratios(level, find('nats', level.concurrency)),
      vsNaive: ratios(level, naive),
      overheadMs: naive
        ? {
            chain: each(level.chain, naive.chain, minus),
            perToolCall: each(level.timeToResult, naive.timeToResult, minus),
          }
        : null,
    };
  });
}

/** The `sb-export` section's levels as ratios to the `switchboard` section's. */
export function exportCost(sections: readonly SectionReport[]): BenchReport['exportCost'] {
  const off = sections.find((s) => s.section === 'switchboard');
  const on = sections.find((s) => s.section === 'sb-export');
  return (on?.levels ?? []).flatMap((level) => {
    const r = ratios(
      level,
      off?.levels.find((l) => l.concurrency === level.concurrency),
    );
    return r ? [{ concurrency: level.concurrency, ratios: r }] : [];
  });
}

const ms = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(1);
const x = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : `${v < 0.1 ? v.toPrecision(2) : v.toFixed(2)}x`;
const pad = (s: string, n: number) => s.padStart(n);
/** p50 in a wide column, then p95, p99 and max. */
const quad = (s: Pick<Summary, 'p50' | 'p95' | 'p99' | 'max'>) =>
  pad(ms(s.p50), 11) + [s.p95, s.p99, s.max].map((v) => pad(ms(v), 9)).join('');
const quadHeader = (first: string) => pad(first, 11) + ['p95', 'p99', 'max'].map((h) => pad(h, 9)).join('');

/** The printed report. */
export function formatReport(report: BenchReport): string {
  const out: string[] = [];
  const o = report.options;
  out.push(
    `Switchboard bench — ${report.startedAt}, ${report.host.cpus} cores, load avg ${report.host.loadAverageStart.map((l) => l.toFixed(2)).join(' ')} → ${report.host.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}`,
  );
  out.push(`provider latency ${o.providerLatencyMs} ms/request; ${report.preliminary}`);
  // Wide enough for the longest section name (`equal-work-nothread`).
  const named = Math.max(12, ...report.sections.map((s) => s.section.length + 1));
  const placement = describePlacement({ cpuSplit: o.cpuSplit, conversationNice: o.conversationNice });
  if (placement !== undefined) out.push(`placement: ${placement}`);
  if (report.sections.length > 0) {
    out.push('');
    out.push('== Chains (3 steps each): throughput and latency in ms; first event and result are per step (tool call)');
    out.push(
      `${'section'.padEnd(named)}${pad('conc', 5)}${pad('chains/s', 10)}${pad('fail', 5)} |` +
        `${quadHeader('chain p50')} |${quadHeader('1st-ev p50')} |${quadHeader('result p50')}`,
    );
    for (const s of report.sections) {
      if (s.error) out.push(`${s.section.padEnd(named)} FAILED: ${s.error}`);
      for (const l of s.levels) {
        out.push(
          `${s.section.padEnd(named)}${pad(String(l.concurrency), 5)}${pad(l.chainsPerSecond.toFixed(1), 10)}${pad(String(l.failed), 5)} |` +
            `${quad(l.chain)} |${quad(l.timeToFirstEvent)} |${quad(l.timeToResult)}`,
        );
      }
    }
    for (const s of report.sections) {
      for (const l of s.levels)
        if (l.errors.length > 0) out.push(`  ${s.section}@${l.concurrency} errors: ${l.errors.join(' | ')}`);
    }
  }
  // Only with a ceiling or the baseline in the run (a switchboard-only run has nothing to compare).
  const compared = report.comparisons.some((c) => c.vsTemporalCeiling || c.vsNatsCeiling || c.vsNaive);
  if (compared) {
    out.push('');
    out.push('== Switchboard ÷ ceiling / baseline at the same concurrency (throughput: fraction; latency: multiple)');
    out.push(
      `${pad('conc', 5)} | ${'vs temporal: thr'.padEnd(17)}${pad('chain50', 8)}${pad('1stev50', 8)}${pad('res50', 8)}${pad('res99', 8)}` +
        ` | ${'vs nats: thr'.padEnd(13)}${pad('res50', 8)} | ${'vs naive: thr'.padEnd(14)}${pad('chain50', 8)}${pad('chain99', 8)}` +
        ` | overhead ms: chain p50/p95/p99/max, per call p50`,
    );
    for (const c of report.comparisons) {
      const t = c.vsTemporalCeiling;
      const n = c.vsNatsCeiling;
      const v = c.vsNaive;
      const oh = c.overheadMs;
      out.push(
        `${pad(String(c.concurrency), 5)} | ${x(t?.chainsPerSecond).padEnd(17)}${pad(x(t?.chain.p50), 8)}${pad(x(t?.timeToFirstEvent.p50), 8)}${pad(x(t?.timeToResult.p50), 8)}${pad(x(t?.timeToResult.p99), 8)}` +
          ` | ${x(n?.chainsPerSecond).padEnd(13)}${pad(x(n?.timeToResult.p50), 8)} | ${x(v?.chainsPerSecond).padEnd(14)}${pad(x(v?.chain.p50), 8)}${pad(x(v?.chain.p99), 8)}` +
          ` | ${oh ? `${[oh.chain.p50, oh.chain.p95, oh.chain.p99, oh.chain.max].map(ms).join('/')}, ${ms(oh.perToolCall.p50)}` : '-'}`,
      );
    }
  }
  if (report.exportCost.length > 0) {
    out.push('');
    out.push('== Telemetry export on (sb-export) ÷ off (switchboard) at the same concurrency');
    out.push(
      `${pad('conc', 5)} | ${pad('chains/s', 9)}${pad('chain50', 9)}${pad('chain99', 9)}${pad('res50', 9)}${pad('res99', 9)}`,
    );
    for (const c of report.exportCost) {
      const r = c.ratios;
      out.push(
        `${pad(String(c.concurrency), 5)} | ${pad(x(r.chainsPerSecond), 9)}${pad(x(r.chain.p50), 9)}${pad(x(r.chain.p99), 9)}${pad(x(r.timeToResult.p50), 9)}${pad(x(r.timeToResult.p99), 9)}`,
      );
    }
  }
  for (const s of report.sections) {
    if (s.levels.length === 0) continue;
    out.push('');
    out.push(`== Processes during ${s.section} (cpu % of one core / peak RSS MB, per level)`);
    out.push(`${'process'.padEnd(24)}${s.levels.map((l) => pad(`@${l.concurrency}`, 16)).join('')}`);
    const names = s.levels[0]?.processes.map((p) => p.name) ?? [];
    for (const name of names) {
      const cells = s.levels.map((l) => {
        const p = l.processes.find((q) => q.name === name);
        return pad(p ? `${p.cpuPercent.toFixed(0)}% / ${p.peakRssMb.toFixed(0)}` : '-', 16);
      });
      out.push(`${name.padEnd(24)}${cells.join('')}`);
    }
    const extras = Object.keys(s.levels[0]?.extra ?? {});
    for (const key of extras) {
      out.push(`${key.padEnd(24)}${s.levels.map((l) => pad(ms(l.extra[key]), 16)).join('')}`);
    }
  }
  const worked = report.sections.filter((s) => s.work);
  if (worked.length > 0) {
    out.push('');
    out.push('== Engine work of one chain (from its workflows’ histories)');
    for (const s of worked) out.push(`${s.section.padEnd(named)} ${formatWork(s.work as ChainWork)}`);
  }
  const sc = report.scale;
  if (sc) {
    out.push('');
    if (sc.error) out.push(`== Scale FAILED: ${sc.error}`);
    out.push(
      `== Scale: ${sc.started}/${sc.workflows} booking lifecycles started (+${sc.smsThreads} SMS threads); ${sc.measured} reminder timers due together ` +
        `${(sc.dueAfterMs / 1000).toFixed(0)} s after they began to start (${sc.pilot} pilot lifecycles due in a day)`,
    );
    out.push(
      `starts paced (${sc.startWindow} settling at once): ${sc.settledPerSecond.toFixed(1)} lifecycles/s started and waiting; ` +
        `all waiting after ${sc.settledInMs === null ? '-' : `${(sc.settledInMs / 1000).toFixed(1)} s`}; ` +
        `${sc.settledBeforeDue}/${sc.measured} measured ones waiting before due`,
    );
    out.push(
      `timers fired ${sc.fired}/${sc.settledBeforeDue}; lateness ms p50/p95/p99/max: ${[sc.lateness.p50, sc.lateness.p95, sc.lateness.p99, sc.lateness.max].map(ms).join(' / ')}` +
        `; reminder SMS p50/p99/max: ${[sc.reminderSmsLateness.p50, sc.reminderSmsLateness.p99, sc.reminderSmsLateness.max].map(ms).join(' / ')}`,
    );
    if (sc.bare) {
      const b = sc.bare;
      out.push(
        `fire rate ${sc.firedPerSecond.toFixed(1)} timers/s; bare workflows (same timer, activities and thread signal per reminder): ` +
          `${b.fired}/${b.settledBeforeDue} fired at ${b.firedPerSecond.toFixed(1)} timers/s, lateness ms p50/p99/max ` +
          `${[b.lateness.p50, b.lateness.p99, b.lateness.max].map(ms).join(' / ')}`,
      );
    }
    out.push(
      `chains worker overload warnings (task > 5 s or past its timeout): ${sc.workerOverloadWarnings}` +
        (sc.workerExited ? '; THE CHAINS WORKER PROCESS EXITED during the section (see its log)' : ''),
    );
    out.push(
      `${'memory MB'.padEnd(24)}${pad('baseline', 10)}${pad('waiting', 10)}${pad('after', 10)}${pad('peak', 10)}`,
    );
    for (const m of sc.memory) {
      out.push(
        `${m.name.padEnd(24)}${[m.baselineMb, m.waitingMb, m.afterMb, m.peakMb].map((v) => pad(v.toFixed(0), 10)).join('')}`,
      );
    }
    out.push(
      `cpu during scale: ${sc.processes
        .filter((p) => p.cpuSeconds > 0.5)
        .map((p) => `${p.name} ${p.cpuSeconds.toFixed(0)} s`)
        .join(', ')}`,
    );
  }
  if (report.goals.length > 0) {
    out.push('');
    out.push('== Goals of issue 18 (ratios within this run)');
    out.push(...formatGoals(report.goals));
  }
  const hops = goal4Hops(report.sections);
  if (hops) {
    out.push('');
    out.push(...formatHops(hops.concurrency, hops.switchboard, hops.equalWork));
  }
  out.push('');
  for (const s of report.sections) out.push(`${s.section}: ${s.description}. ${s.notes.join(' ')}`);
  if (sc) out.push(`scale: ${sc.notes.join(' ')}`);
  return out.join('\n');
}

/**
 * Goal 4's decomposition: the switchboard and equal-work hops at c=1, else at the lowest level
 * that has them.
 */
function goal4Hops(
  sections: readonly SectionReport[],
): { concurrency: number; switchboard?: HopTable; equalWork?: HopTable } | undefined {
  const levels = (name: SectionReport['section']) =>
    sections.find((s) => s.section === name)?.levels.filter((l) => l.hops !== undefined) ?? [];
  const all = [...levels('switchboard'), ...levels('equal-work')];
  if (all.length === 0) return undefined;
  const concurrency = Math.min(...all.map((l) => l.concurrency));
  const at = (name: SectionReport['section']) => levels(name).find((l) => l.concurrency === concurrency)?.hops;
  return { concurrency, switchboard: at('switchboard'), equalWork: at('equal-work') };
}
