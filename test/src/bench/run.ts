/**
 * The bench harness: one run, one machine, every figure side by side — the NATS and Temporal
 * ceilings, the naive in-process baseline and Switchboard's booking chain at each concurrency
 * level, then N booking lifecycles waiting on timers. Prints tables and writes a JSON report.
 * A tool, not a test: it asserts nothing about time (`harness.smoke.test.ts` only checks that a
 * smoke run produces numbers). Usage: `npm run bench -- --help`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '@switchboard/devstack';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startTestStack } from '../support/stack.js';
import { slotAllocator } from './booking.js';
import { bundleBenchWorkflows, natsDriver, temporalDriver } from './ceilings.js';
import { formatWork } from './chain-work.js';
import type { ChainDriver } from './driver.js';
import { equalWorkDriver } from './equal-work.js';
import { exportingDriver, setTelemetryExport } from './export.js';
import { evaluateGoals } from './goals.js';
import { naiveDriver } from './naive.js';
import { type BenchOptions, parseBenchOptions, USAGE } from './options.js';
import { applyPlacement, checkPlacement, describePlacement, type Placement } from './placement.js';
import { findInfraProcesses, startUsageMeter, type TrackedProcess } from './procstat.js';
import { type BenchReport, compare, exportCost, formatReport, type SectionReport } from './report.js';
import { runScale } from './scale.js';
import { runBareScale } from './scale-bare.js';
import { runLevel } from './stats.js';
import { switchboardDriver } from './switchboard.js';

const PRELIMINARY =
  'one run on a shared, noisy machine: compare figures within this run only; absolute numbers are preliminary';

const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Runs the harness and returns the report (also written to `options.out`). */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAverageStart = loadavg();
  const run = Date.now().toString(36);
  // Workers in this process (Temporal ceiling, scale fakes) log errors only.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const chainSections = options.sections.filter((s) => s !== 'scale');
  const bundling = options.sections.some((s) => s === 'temporal' || s === 'equal-work' || s === 'equal-work-nothread')
    ? bundleBenchWorkflows()
    : undefined;
  bundling?.catch(() => {});
  const placement: Placement = { cpuSplit: options.cpuSplit, conversationNice: options.conversationNice };
  const placed = describePlacement(placement) !== undefined;
  if (placed && (options.replicas ?? 1) > 1) throw new Error('--cpu-split and --conversation-nice need one replica');
  if (placed) checkPlacement(placement);

  log(`starting the stack (sections: ${options.sections.join(', ')})`);
  const logDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const stack = await startTestStack(logDir, {
    exportSpans: false,
    // The bench sends far more than a voice deployment's per-key limit allows.
    serviceEnv: { RATE_LIMIT_PER_KEY_PER_MIN: '0', RATE_LIMIT_PER_TENANT_PER_MIN: '0' },
    ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
  });
  const sections: SectionReport[] = [];
  let scale: BenchReport['scale'] = null;
  try {
    for (const sandbox of [stack.sandboxes.calcom, stack.sandboxes.twilio, stack.sandboxes.hubspot]) {
      sandbox.faults.latencyMs = options.providerLatencyMs;
    }
    // Recomputed after services restart (the sb-export section restarts them all).
    const tracked = (): TrackedProcess[] => [
      { name: 'bench (load+sandboxes)', pid: process.pid, alone: true },
      ...Object.entries(stack.services.processes()).map(([name, p]) => ({ name, pid: p.pid })),
      ...findInfraProcesses(),
    ];
    // Again after services restart: a new conversation service starts where this process runs.
    const place = () => {
      if (!placed) return;
      const conversation = stack.services.processes().conversation?.pid;
      if (conversation === undefined) throw new Error('placement: no conversation service process');
      const infra = (name: string) => processes.find((p) => p.name === name)?.pid;
      const done = applyPlacement(placement, {
        conversation,
        postgres: infra('postgres'),
        nats: infra('nats-server'),
        stackRoot: process.pid,
      });
      log(`placement: ${done.description} (${done.front.length} processes on CPU 0, ${done.rest.length} on CPU 1)`);
    };
    let processes = tracked();
    place();
    let exporting = false;
    log(`stack up; measuring ${processes.map((p) => `${p.name}:${p.pid}`).join(' ')}; logs in ${logDir}`);
    const slotFor = slotAllocator();
    let nextIndex = 0;

    for (const section of chainSections) {
      let driver: ChainDriver | undefined;
      const report: SectionReport = { section, description: '', notes: [], levels: [] };
      sections.push(report);
      try {
        if ((section === 'sb-export') !== exporting) {
          exporting = section === 'sb-export';
          log(`restarting the services with telemetry export ${exporting ? 'on' : 'off'}`);
          await setTelemetryExport(stack, exporting);
          processes = tracked();
          place();
        }
        driver =
          section === 'nats'
            ? await natsDriver(stack.infra.natsUrl)
            : section === 'temporal'
              ? await temporalDriver(
                  stack.infra.temporalAddress,
                  stack.infra.temporalNamespace,
                  run,
                  await (bundling as NonNullable<typeof bundling>),
                )
              : section === 'equal-work' || section === 'equal-work-nothread'
                ? await equalWorkDriver(
                    stack.infra.temporalAddress,
                    stack.infra.temporalNamespace,
                    run,
                    await (bundling as NonNullable<typeof bundling>),
                    { smsThread: section === 'equal-work' },
                  )
                : section === 'naive'
                  ? naiveDriver(stack.sandboxes, slotFor)
                  : section === 'sb-export'
                    ? exportingDriver(stack, slotFor)
                    : switchboardDriver(stack, slotFor);
        report.description = driver.description;
        report.notes = driver.notes;
        await driver.beforeLevel?.();
        for (let i = 0; i < options.warmup; i++) await driver.chain(nextIndex++);
        if (driver.work && options.warmup > 0) {
          report.work = await driver.work();
          log(`${section}: one chain's engine work: ${formatWork(report.work)}`);
        }
        for (const concurrency of options.levels) {
          const chains = Math.max(options.chains, concurrency);
          await driver.beforeLevel?.();
          driver.hops?.reset();
          const meter = startUsageMeter(processes);
          const { figures } = await runLevel(concurrency, chains, nextIndex, driver.chain);
          const usage = meter.stop();
          nextIndex += chains;
          const extra = driver.afterLevel?.(chains) ?? {};
          // After the level and its CPU meter: reading histories is not part of what it measures.
          const hops = await driver.hops?.decompose().catch((err: unknown) => {
            log(`${section} @${concurrency}: no hop decomposition: ${(err as Error).message}`);
            return undefined;
          });
          report.levels.push({ ...figures, extra, processes: usage, ...(hops ? { hops } : {}) });
          log(
            `${section} @${concurrency}: ${figures.chainsPerSecond.toFixed(1)} chains/s, chain p50 ` +
              `${figures.chain.p50?.toFixed(1) ?? '-'} ms, ${figures.failed} failed`,
          );
        }
      } catch (err) {
        report.error = (err as Error).message;
        log(`${section} failed: ${(err as Error).stack ?? err}`);
      } finally {
        await driver?.close().catch((err: unknown) => log(`closing ${section}: ${(err as Error).message}`));
      }
    }

    if (options.sections.includes('scale')) {
      if (exporting) {
        await setTelemetryExport(stack, false);
        processes = tracked();
      }
      const orchestrator = processes.find((p) => p.name === 'orchestrator');
      const temporal = processes.find((p) => p.name === 'temporal');
      try {
        if (!orchestrator || !temporal) throw new Error('orchestrator or temporal process not found');
        scale = await runScale({
          n: options.scale,
          dueAfterMs: options.scaleDueAfterS === undefined ? undefined : options.scaleDueAfterS * 1000,
          indexOffset: nextIndex,
          temporalAddress: stack.infra.temporalAddress,
          namespace: stack.infra.temporalNamespace,
          run,
          worker: orchestrator,
          server: temporal,
          workerLog: join(logDir, 'orchestrator.log'),
          processes,
          stopProviderWorkers: async () => {
            const procs = stack.services.processes();
            await Promise.all([procs['calcom-worker']?.stop(), procs['telephony-worker']?.stop()]);
          },
          log,
        });
        if (scale.settledBeforeDue > 0) {
          scale.bare = await runBareScale({
            n: scale.settledBeforeDue,
            settledPerSecond: scale.settledPerSecond,
            dueAfterMs: options.scaleDueAfterS === undefined ? undefined : options.scaleDueAfterS * 1000,
            temporalAddress: stack.infra.temporalAddress,
            namespace: stack.infra.temporalNamespace,
            run,
            bundle: await (bundling ?? bundleBenchWorkflows()),
            log,
          });
        }
      } catch (err) {
        log(`scale failed: ${(err as Error).stack ?? err}`);
        scale = { ...emptyScale(options.scale), error: (err as Error).message };
      }
    }
  } finally {
    log('stopping the stack');
    await stack.stop();
  }

  const report: BenchReport = {
    bench: 'switchboard',
    preliminary: PRELIMINARY,
    startedAt,
    finishedAt: new Date().toISOString(),
    host: {
      cpus: cpus().length,
      memoryMb: Math.round(totalmem() / 1_048_576),
      node: process.version,
      loadAverageStart,
      loadAverageEnd: loadavg(),
    },
    options,
    sections,
    comparisons: compare(sections),
    exportCost: exportCost(sections),
    scale,
    goals: evaluateGoals(sections, scale),
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function emptyScale(n: number): NonNullable<BenchReport['scale']> {
  const none = { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  return {
    workflows: n,
    started: 0,
    smsThreads: 0,
    pilot: 0,
    startWindow: 0,
    settledPerSecond: 0,
    settledInMs: null,
    measured: 0,
    settledBeforeDue: 0,
    dueAfterMs: 0,
    fired: 0,
    lateness: none,
    firedPerSecond: 0,
    reminderSmsLateness: none,
    workerOverloadWarnings: 0,
    workerExited: false,
    memory: [],
    processes: [],
    notes: [],
  };
}

if (process.argv.includes('--help')) {
  console.log(USAGE);
} else {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env, repoRoot);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const report = await runBench(options);
  console.log(formatReport(report));
  console.log(`\nJSON report: ${options.out}`);
  const failed = report.sections.some((s) => s.error !== undefined) || report.scale?.error !== undefined;
  // Worker threads and sockets of the stack are gone; exit without waiting for stray timers.
  process.exit(failed ? 1 : 0);
}
