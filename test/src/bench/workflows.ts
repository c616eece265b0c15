/**
 * The bare-Temporal ceiling's workflow: what the session workflow does per tool call with
 * everything Switchboard adds taken away. One workflow per conversation, fed by
 * signal-with-start like the session; per signalled intent it runs one no-op activity on another
 * task queue (the provider effect) and then a local activity that reports the result (as the
 * session's `publishOutcome` does). Bundled by the harness at start; deterministic like every
 * workflow (no Node built-ins).
 */
import {
  CancellationScope,
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';

/** An intent for the bench session: its id, which the activities carry back to the client. */
export const benchIntentSignal = defineSignal<[string]>('benchIntent');

/** The no-op effect, on the effects task queue (a provider worker's place). */
export interface BenchEffectActivities {
  benchEffect(intentId: string): Promise<void>;
}

/** Reports an intent's result to the waiting client (in the harness process). */
export interface BenchOutcomeActivities {
  benchOutcome(intentId: string): Promise<void>;
}

/** Workflow type name of {@link benchSession}. */
export const BenchSessionWorkflowType = 'benchSession';

/** Runs `intents` signalled intents in arrival order, then completes. */
export async function benchSession(input: { effectsQueue: string; intents: number }): Promise<void> {
  const { benchEffect } = proxyActivities<BenchEffectActivities>({
    taskQueue: input.effectsQueue,
    startToCloseTimeout: '30 seconds',
  });
  const { benchOutcome } = proxyLocalActivities<BenchOutcomeActivities>({ startToCloseTimeout: '10 seconds' });
  const inbox: string[] = [];
  setHandler(benchIntentSignal, (id) => {
    inbox.push(id);
  });
  for (let done = 0; done < input.intents; done++) {
    await condition(() => inbox.length > 0);
    const id = inbox.shift() as string;
    await benchEffect(id);
    await benchOutcome(id);
  }
}

// ---------------------------------------------------------------------------------------------
// The equal-work ceiling: the engine work one booking chain causes, with nothing of Switchboard.
// Counted from a real chain's histories on the bench stack (the switchboard section prints the
// count it measures beside this one's, see chain-work.ts): per chain 3 workflows, 9 workflow
// tasks, 4 activities, 6 local activities, 6 timers, 4 signals, 3 search attribute upserts.
// ---------------------------------------------------------------------------------------------

/** One intent of the equal-work session: its id and whether it is the chain's last (the SMS step). */
export interface EqualIntent {
  id: string;
  last: boolean;
}

/** An intent for the equal-work session (signal-with-start, as the conversation's intents). */
export const equalIntentSignal = defineSignal<[EqualIntent]>('equalIntent');
/** The lifecycle's subscription to its SMS thread (signal-with-start of the thread). */
export const equalSubscribeSignal = defineSignal<[string]>('equalSubscribe');

/** The equal-work session's local activities (in the harness process, like the session's own). */
export interface EqualLocalActivities {
  /** Publishes one of an intent's events; `first` and `result` are timed by the client. */
  equalPublish(intentId: string, kind: 'first' | 'result'): Promise<void>;
  /**
   * Publishes the result, then signal-with-start of the thread and start of the lifecycle (as
   * the session's `publishOutcomeThenStartLifecycles` with `startBookingLifecycleWorkflow`).
   */
  equalPublishThenStartLifecycle(intentId: string): Promise<void>;
}

/** Workflow type names of the equal-work ceiling. */
export const EqualWorkflowTypes = {
  session: 'equalSession',
  lifecycle: 'equalLifecycle',
  thread: 'equalThread',
} as const;

/** What the session does without waiting for them: the idle watchdog (1 day), the progress timer (2.5 s). */
const WATCHDOG = '1 day';
const PROGRESS = '2.5 seconds';

/**
 * The session's engine work per intent: (first task only: two patch markers with their search
 * attribute upserts, the idle watchdog timer), a local activity publishing the first event, the
 * effect (no-op activity on the effects queue) with a progress timer beside it that is cancelled
 * when it completes, a local activity publishing the step's events; after the last: a patch
 * marker, then the result and the lifecycle start (one local activity). Never completes (a session waits
 * idle, as the real one does until its watchdog).
 */
export async function equalSession(input: { effectsQueue: string }): Promise<void> {
  const { benchEffect } = proxyActivities<BenchEffectActivities>({
    taskQueue: input.effectsQueue,
    startToCloseTimeout: '30 seconds',
  });
  const local = proxyLocalActivities<EqualLocalActivities>({ startToCloseTimeout: '15 seconds' });
  const inbox: EqualIntent[] = [];
  setHandler(equalIntentSignal, (intent) => {
    inbox.push(intent);
  });
  patched('equal-work-a');
  patched('equal-work-b');
  const watchdog = new CancellationScope();
  watchdog.run(() => sleep(WATCHDOG)).catch(() => {});
  for (;;) {
    await condition(() => inbox.length > 0);
    const intent = inbox.shift() as EqualIntent;
    await local.equalPublish(intent.id, 'first');
    const progress = new CancellationScope();
    const effect = benchEffect(intent.id);
    progress.run(() => sleep(PROGRESS)).catch(() => {});
    await effect;
    progress.cancel();
    if (!intent.last) {
      await local.equalPublish(intent.id, 'result');
      continue;
    }
    patched('equal-work-c');
    await local.equalPublishThenStartLifecycle(intent.id);
  }
}

/** The lifecycle: the confirmation request (no-op activity), then waiting on its reminder timer. */
export async function equalLifecycle(input: { effectsQueue: string }): Promise<void> {
  const { benchEffect } = proxyActivities<BenchEffectActivities>({
    taskQueue: input.effectsQueue,
    startToCloseTimeout: '30 seconds',
  });
  await benchEffect('confirmation-request');
  await condition(() => false, '1 day');
}

/** The SMS thread: its subscriptions (and reminders' notes), waiting for inbound SMS (30 days). */
export async function equalThread(): Promise<void> {
  const subscribers: string[] = [];
  setHandler(equalSubscribeSignal, (id) => {
    subscribers.push(id);
  });
  // The signal is the engine work; what the thread does with it is Switchboard's.
  setHandler(equalAskedSignal, () => {});
  await condition(() => false, '30 days');
}

/** A bare reminder's note to its thread that it asked (as the lifecycle's `smsAsked`). */
export const equalAskedSignal = defineSignal<[string]>('equalAsked');

/**
 * The scale section's bare workflow: per reminder the engine work of a lifecycle's — a timer due
 * at `dueAtMs`, the booking check (no-op activity), a signal to its SMS thread, the reminder
 * (no-op activity), then waiting again — after the confirmation request it sends when started.
 * Activities get `<workflow id>|<what>` so the harness times each.
 */
export async function bareReminder(input: { effectsQueue: string; dueAtMs: number; thread: string }): Promise<void> {
  const { benchEffect } = proxyActivities<BenchEffectActivities>({
    taskQueue: input.effectsQueue,
    startToCloseTimeout: '30 seconds',
  });
  const self = workflowInfo().workflowId;
  await benchEffect(`${self}|confirm`);
  await condition(() => false, Math.max(1, input.dueAtMs - Date.now()));
  await benchEffect(`${self}|check`);
  await getExternalWorkflowHandle(input.thread).signal(equalAskedSignal, self);
  await benchEffect(`${self}|reminder`);
  await condition(() => false, '1 day');
}
