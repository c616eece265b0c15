/**
 * The equal-work ceiling: bare Temporal doing exactly the engine work one booking chain causes —
 * the session's workflow tasks, activities, local activities, timers, patch markers (with their
 * search attribute upserts) and signals, the booking lifecycle started by a local activity
 * (signal-with-start of its SMS thread, then its start), its confirmation-request activity and
 * the timers the lifecycle and thread wait on — with no-op activities and nothing of Switchboard
 * (no HTTP, NATS, Postgres, interpreter or providers). Workers run in the harness process on the
 * stack's dev server, as the plain Temporal ceiling's do.
 *
 * Its `work()` counts the same histories the switchboard section counts, so every report shows
 * the two side by side (the equal work is checked in each run, not assumed).
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { CHAIN_STEPS, startBenchWorkers } from './ceilings.js';
import { countChainWork, settledWork } from './chain-work.js';
import { type ChainDriver, since } from './driver.js';
import { hopSource, type TracedCall } from './hop-source.js';
import type { StepSample } from './stats.js';
import { type EqualIntent, EqualWorkflowTypes, equalIntentSignal, equalSubscribeSignal } from './workflows.js';

/** A step not done by then fails its chain (the section goes on rather than hang). */
const STEP_TIMEOUT_MS = 120_000;

const timeout = (id: string) =>
  new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`${id}: no result within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS).unref();
  });

/** How long the last chain's lifecycle may take to wait on its timer. */
const SETTLE_MS = 10_000;

/** Options of {@link equalWorkDriver}. */
export interface EqualWorkOptions {
  /**
   * Whether each booking's SMS thread is started (signal-with-start by the last result's local
   * activity), as Switchboard does today. Off, the `equal-work-nothread` section: the same work
   * less the thread's (its start and subscription signal, its workflow task, its timer) — the
   * most an SMS thread started only by the first inbound SMS could save the engine. Default on.
   */
  smsThread?: boolean;
}

export async function equalWorkDriver(
  address: string,
  namespace: string,
  run: string,
  bundle: WorkflowBundleWithSourceMap,
  options: EqualWorkOptions = {},
): Promise<ChainDriver> {
  const smsThread = options.smsThread ?? true;
  const firstEvents = new Map<string, number>();
  const results = new Map<string, () => void>();
  const ids = (intentId: string) => ({ lifecycle: `equal-lifecycle-${intentId}`, thread: `equal-thread-${intentId}` });
  const publish = (intentId: string, kind: 'first' | 'result') => {
    if (kind === 'first') firstEvents.set(intentId, performance.now());
    if (kind === 'result') {
      results.get(intentId)?.();
      results.delete(intentId);
    }
  };
  const { client, chainsQueue, effectsQueue, close } = await startBenchWorkers({
    address,
    namespace,
    bundle,
    queuePrefix: smsThread ? 'equal-' : 'equal-nothread-',
    run,
    chainActivities: (temporal) => ({
      equalPublish: async (intentId: string, kind: 'first' | 'result') => publish(intentId, kind),
      equalPublishThenStartLifecycle: async (intentId: string) => {
        publish(intentId, 'result');
        const { lifecycle, thread } = ids(intentId);
        if (smsThread) {
          await temporal.workflow.signalWithStart(EqualWorkflowTypes.thread, {
            workflowId: thread,
            taskQueue: chainsQueue,
            args: [],
            signal: equalSubscribeSignal,
            signalArgs: [lifecycle],
          });
        }
        // A local activity runs again when its workflow task timed out (a loaded machine):
        // already started is done, as for the real lifecycles.
        await temporal.workflow
          .start(EqualWorkflowTypes.lifecycle, {
            workflowId: lifecycle,
            taskQueue: chainsQueue,
            args: [{ effectsQueue }],
          })
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          });
      },
    }),
    effectActivities: { benchEffect: async () => {} },
  });
  let last: { session: string; lastIntent: string } | undefined;
  const hops = hopSource({ client: async () => client, signal: equalIntentSignal.name });

  return {
    description:
      'bare Temporal doing one booking chain’s engine work: 3 × signal-with-start of a session (first-event local activity, ' +
      'no-op activity beside a cancelled progress timer, result local activity), the last’s result local activity then starting a lifecycle' +
      (smsThread ? ' + SMS thread' : ' (no SMS thread: the same work less the thread’s)'),
    notes: [
      'Workers in the harness process; no-op activities. Its engine work per chain is counted from its histories and printed beside the switchboard chain’s.',
      'Time to first event = until the first-event local activity runs.',
    ],
    chain: async (index) => {
      const session = `equal-session-${run}-${index}`;
      const t0 = performance.now();
      const steps: StepSample[] = [];
      const traced: TracedCall[] = [];
      let lastIntent = '';
      for (let s = 0; s < CHAIN_STEPS; s++) {
        const intent: EqualIntent = { id: `${session}-${s}`, last: s === CHAIN_STEPS - 1 };
        lastIntent = intent.id;
        const s0 = performance.now();
        const done = new Promise<void>((resolve) => results.set(intent.id, resolve));
        await client.workflow.signalWithStart(EqualWorkflowTypes.session, {
          workflowId: session,
          taskQueue: chainsQueue,
          args: [{ effectsQueue }],
          signal: equalIntentSignal,
          signalArgs: [intent],
        });
        await Promise.race([done, timeout(intent.id)]);
        const resultMs = since(s0);
        traced.push({ intentId: intent.id, sentAt: s0, answeredAt: s0 + resultMs });
        const first = firstEvents.get(intent.id);
        firstEvents.delete(intent.id);
        steps.push({ resultMs, ...(first === undefined ? {} : { firstEventMs: first - s0 }) });
      }
      hops.add({ workflowId: session, calls: traced });
      last = { session, lastIntent };
      return { ok: true, chainMs: since(t0), steps };
    },
    work: async () => {
      if (!last) throw new Error('no chain has run');
      const { lifecycle, thread } = ids(last.lastIntent);
      const workflowIds = smsThread ? [last.session, lifecycle, thread] : [last.session, lifecycle];
      // Settled: the lifecycle waits on its reminder timer (the thread on its own) and no history grows.
      return settledWork(
        () => countChainWork(client, workflowIds).catch(() => undefined),
        (w) => w.timers >= (smsThread ? 6 : 5),
        SETTLE_MS,
      );
    },
    hops,
    close,
  };
}
