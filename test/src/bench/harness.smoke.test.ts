import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@switchboard/devstack';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainWork } from './chain-work.js';
import { workDifferences } from './goals.js';
import type { BenchReport } from './report.js';

// Keeps the bench harness working: a smoke run (one level, 4 chains, 100 lifecycles) of the
// built harness (`npm run build` first, like every test that starts the services) must produce
// numbers in every section. No figure is compared with a limit: the harness is a tool.
const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const finite = (v: number | null | undefined) => typeof v === 'number' && Number.isFinite(v);

function runSmoke(out: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'test', 'dist', 'bench', 'run.js'), '--smoke', '--out', out],
      { cwd: repoRoot, maxBuffer: 16 * 1_048_576 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

describe('bench harness (smoke mode)', () => {
  it('produces figures for every section, process and comparison, and prints them', async () => {
    const out = join(dir, 'smoke.json');
    const { code, output } = await runSmoke(out);
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;

    expect(report.sections.map((s) => s.section)).toEqual(['nats', 'temporal', 'equal-work', 'naive', 'switchboard']);
    for (const s of report.sections) {
      expect(s.error, s.section).toBeUndefined();
      expect(s.levels, s.section).toHaveLength(1);
      const level = s.levels[0] as BenchReport['sections'][number]['levels'][number];
      expect(level.chain.count, s.section).toBeGreaterThan(0);
      for (const v of [level.chainsPerSecond, level.chain.p50, level.chain.max, level.timeToResult.p99]) {
        expect(finite(v), `${s.section}: ${v}`).toBe(true);
      }
      // Direct HTTP calls have no events; every other section measures the first one.
      expect(finite(level.timeToFirstEvent.p50), s.section).toBe(s.section !== 'naive');
      expect(level.processes.map((p) => p.name)).toEqual(
        expect.arrayContaining(['orchestrator', 'conversation', 'temporal', 'nats-server', 'postgres']),
      );
      for (const p of level.processes) {
        expect(finite(p.cpuSeconds) && p.peakRssMb > 0, `${s.section} ${p.name}`).toBe(true);
      }
    }
    const sb = report.sections.find((s) => s.section === 'switchboard')?.levels[0];
    expect(finite(sb?.extra.providerRequestsPerChain) && finite(sb?.extra.firstEventEmittedP50Ms)).toBe(true);

    // The equal-work ceiling does what one booking chain causes, counted from both histories.
    const work = (name: string) => report.sections.find((s) => s.section === name)?.work;
    expect(work('switchboard')?.workflowTasks).toBeGreaterThan(0);
    expect(workDifferences(work('switchboard') as ChainWork, work('equal-work') as ChainWork)).toEqual([]);
    expect(report.goals.map((g) => g.goal)).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6]));
    expect(report.goals.find((g) => g.goal === 1)?.met).toBe(true);

    // Goal 4 hop by hop: every chain decomposed, its hops adding up to what the client measured.
    for (const name of ['switchboard', 'equal-work']) {
      const level = report.sections.find((s) => s.section === name)?.levels[0];
      const hops = level?.hops;
      expect(hops?.chains, name).toBe(level?.chain.count);
      expect(hops?.sumOfMeans, name).toBeCloseTo(hops?.chain.mean as number, 6);
      expect(Math.abs((hops?.chain.mean as number) - (level?.chain.mean as number)), name).toBeLessThan(1);
      for (const row of hops?.rows ?? []) expect(row.count, `${name} ${row.key}`).toBe(hops?.chains);
    }
    // Switchboard's own hops (the service's stages, the result on the bus) are all there.
    const parts = report.sections.find((s) => s.section === 'switchboard')?.levels[0]?.hops?.rows.map((r) => r.key);
    expect(parts).toEqual(expect.arrayContaining(['http', 'reads', 'accept', 'handover', 'outcome', 'delivery']));

    const [comparison] = report.comparisons;
    expect(finite(comparison?.vsTemporalCeiling?.chainsPerSecond)).toBe(true);
    expect(finite(comparison?.vsNatsCeiling?.timeToResult.p50)).toBe(true);
    expect(finite(comparison?.vsNaive?.chain.p50)).toBe(true);
    expect(finite(comparison?.overheadMs?.chain.p50)).toBe(true);

    const scale = report.scale;
    expect(scale?.error).toBeUndefined();
    expect(scale?.workflows).toBe(100);
    expect(scale?.started).toBeGreaterThan(0);
    expect(scale?.fired).toBeGreaterThan(0);
    expect(finite(scale?.lateness.p99)).toBe(true);
    expect(scale?.bare?.fired).toBeGreaterThan(0);
    expect(finite(scale?.bare?.firedPerSecond)).toBe(true);
    expect(scale?.memory.map((m) => m.name)).toEqual(['orchestrator', 'temporal']);
    for (const m of scale?.memory ?? []) expect(m.waitingMb).toBeGreaterThan(0);

    expect(output).toContain('== Chains');
    expect(output).toContain('== Scale');
    expect(output).toContain('== Goals of issue 18');
    expect(output).toContain('== Goal 4 decomposed');
  }, 180_000);
});
