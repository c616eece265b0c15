/**
 * The scale section's ceiling: as many bare workflows as lifecycles were measured, each doing per
 * reminder the engine work a lifecycle's reminder causes (timer, booking-check activity, signal
 * to its SMS thread, reminder activity; with a thread of its own, subscribed by signal-with-start
 * as the lifecycle's), their timers due at one instant, on the same Temporal server right after
 * the lifecycles. The worker runs in the harness process with the chains worker's production
 * slot and cache sizes (100 workflow tasks, 2000 cached workflows), activities are no-ops.
 *
 * Fire rate (both populations) = timers fired ÷ (last booking check's start − due instant).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { START_WINDOW, until } from './scale.js';
import { pool, type Summary, summarize } from './stats.js';
import { EqualWorkflowTypes, equalSubscribeSignal } from './workflows.js';

/** The chains worker's defaults (`ORCHESTRATOR_MAX_WORKFLOW_TASKS`, `ORCHESTRATOR_MAX_CACHED_WORKFLOWS`). */
const MAX_WORKFLOW_TASKS = 100;
const MAX_CACHED_WORKFLOWS = 2000;
/** Settle time × this + {@link DUE_MARGIN_MS}: the due instant (as the lifecycles' pilot sets theirs). */
const DUE_SAFETY = 1.5;
const DUE_MARGIN_MS = 10_000;

/** What the bare population did. */
export interface BareScaleFigures {
  workflows: number;
  /** Waiting (confirmation activity ran) before the due instant. */
  settledBeforeDue: number;
  dueAfterMs: number;
  fired: number;
  firedPerSecond: number;
  /** Booking-check start − due instant, ms. */
  lateness: Summary;
}

/** Fire rate of timers due together: fired ÷ the span from the due instant to the last one, per second. */
export function fireRate(fired: number, lastLatenessMs: number | null): number {
  if (fired === 0 || lastLatenessMs === null) return 0;
  return (fired * 1000) / Math.max(1, lastLatenessMs);
}

export async function runBareScale(ctx: {
  n: number;
  /** Expected start-to-waiting rate (the lifecycles'): sets the due instant unless `dueAfterMs` does. */
  settledPerSecond: number;
  dueAfterMs: number | undefined;
  temporalAddress: string;
  namespace: string;
  run: string;
  bundle: WorkflowBundleWithSourceMap;
  log(message: string): void;
}): Promise<BareScaleFigures> {
  const chainsQueue = `bare-scale-${ctx.run}`;
  const effectsQueue = `bare-scale-effects-${ctx.run}`;
  const confirmAt = new Map<string, number>();
  const checkAt = new Map<string, number>();
  const settleWaiters = new Map<string, () => void>();
  const native = await NativeConnection.connect({ address: ctx.temporalAddress });
  const workers = [
    await Worker.create({
      connection: native,
      namespace: ctx.namespace,
      taskQueue: chainsQueue,
      workflowBundle: ctx.bundle,
      maxConcurrentWorkflowTaskExecutions: MAX_WORKFLOW_TASKS,
      maxCachedWorkflows: MAX_CACHED_WORKFLOWS,
    }),
    await Worker.create({
      connection: native,
      namespace: ctx.namespace,
      taskQueue: effectsQueue,
      maxConcurrentActivityTaskExecutions: 500,
      activities: {
        benchEffect: async (tag: string) => {
          const [id = '', what] = tag.split('|');
          if (what === 'confirm' && !confirmAt.has(id)) {
            confirmAt.set(id, Date.now());
            settleWaiters.get(id)?.();
          } else if (what === 'check' && !checkAt.has(id)) checkAt.set(id, Date.now());
        },
      },
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const connection = await Connection.connect({ address: ctx.temporalAddress });
  const client = new Client({ connection, namespace: ctx.namespace });
  try {
    const t0 = Date.now();
    const dueAfterMs = Math.round((ctx.n / Math.max(0.1, ctx.settledPerSecond)) * 1000 * DUE_SAFETY) + DUE_MARGIN_MS;
    const dueMs = t0 + dueAfterMs;
    ctx.log(`scale: ${ctx.n} bare reminder workflows, due in ${(dueAfterMs / 1000).toFixed(0)} s`);
    const ids = Array.from({ length: ctx.n }, (_, i) => `bare-reminder-${ctx.run}-${i}`);
    const starting = pool(ids, START_WINDOW, async (id) => {
      if (Date.now() >= dueMs - 1_000) return;
      const settled = new Promise<void>((resolve) => settleWaiters.set(id, resolve));
      const thread = `${id}-thread`;
      await client.workflow.signalWithStart(EqualWorkflowTypes.thread, {
        workflowId: thread,
        taskQueue: chainsQueue,
        args: [],
        signal: equalSubscribeSignal,
        signalArgs: [id],
      });
      await client.workflow.start('bareReminder', {
        workflowId: id,
        taskQueue: chainsQueue,
        args: [{ effectsQueue, dueAtMs: dueMs, thread }],
      });
      await Promise.race([settled, new Promise((r) => setTimeout(r, Math.max(0, dueMs - Date.now())))]);
    });
    starting.catch(() => {});
    await until(() => false, dueMs - 1_000);
    const waiting = ids.filter((id) => (confirmAt.get(id) ?? Number.POSITIVE_INFINITY) < dueMs);
    const giveUp = Math.max(Date.now(), dueMs) + Math.max(60_000, ctx.n * 30);
    await until(
      () => waiting.every((id) => checkAt.has(id)),
      giveUp,
      () => ctx.log(`scale: ${waiting.filter((id) => checkAt.has(id)).length}/${waiting.length} bare timers fired`),
    );
    const lateness = summarize(waiting.flatMap((id) => (checkAt.has(id) ? [(checkAt.get(id) as number) - dueMs] : [])));
    return {
      workflows: ctx.n,
      settledBeforeDue: waiting.length,
      dueAfterMs,
      fired: lateness.count,
      firedPerSecond: fireRate(lateness.count, lateness.max),
      lateness,
    };
  } finally {
    for (const w of workers) w.shutdown();
    await running.catch(() => {});
    await connection.close();
    await native.close();
  }
}
