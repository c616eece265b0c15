/**
 * The bare-Temporal ceiling's workflow: what the session workflow does per tool call with
 * everything Switchboard adds taken away. One workflow per conversation, fed by
 * signal-with-start like the session; per signalled intent it runs one no-op activity on another
 * task queue (the provider effect) and then a local activity that reports the result (as the
 * session's `publishOutcome` does). Bundled by the harness at start; deterministic like every
 * workflow (no Node built-ins).
 */
import { condition, defineSignal, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';

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
