/**
 * What the audit row of an accepted tool call records about its action up front, so operators
 * can filter and watch runs without reading definitions: the providers the action can call, and
 * when the run is overdue (stuck, if still unfinished then).
 */
import { actionEffects, type CanonicalAction, runBudgetMs } from '@switchboard/actions';
import type { JsonObject } from '@switchboard/common';
import { DefaultSessionSettings, type ProviderName, ProviderNames } from '@switchboard/contracts';
import { operationProvider } from '@switchboard/operations';

/** How a run's deadline is set beyond the action's own budget. */
export interface RunDeadlineSettings {
  /**
   * Added to every run's budget (`RUN_DEADLINE_GRACE_MS`): for the time a call waits behind
   * earlier calls of its conversation, the hand-over to Temporal, workers starting, clocks.
   */
  graceMs: number;
  /** The executor's confirmation wait (`CONFIRMATION_TIMEOUT_MS`, as the orchestrator reads it). */
  confirmationTimeoutMs: number;
}

/** Defaults of {@link RunDeadlineSettings}. */
export const DEFAULT_RUN_DEADLINE: RunDeadlineSettings = {
  graceMs: 60_000,
  confirmationTimeoutMs: DefaultSessionSettings.confirmationTimeoutMs,
};

/** The providers and the deadline of a run of `canonical`. */
export interface RunPlan {
  providers: ProviderName[];
  /** Milliseconds after acceptance at which the run is overdue. */
  deadlineAfterMs: number;
}

/** Plans a run of a stored canonical action (stored JSON: malformed parts count for nothing). */
export function planRun(canonical: JsonObject, settings: RunDeadlineSettings): RunPlan {
  const action = canonical as unknown as CanonicalAction;
  const providers = new Set<ProviderName>();
  for (const effect of actionEffects(action)) {
    const provider = effect.kind === 'webhook' ? ProviderNames.Webhook : operationProvider(effect.operation ?? '');
    if (provider !== undefined) providers.add(provider);
  }
  return {
    providers: [...providers].sort(),
    deadlineAfterMs: runBudgetMs(action, { confirmationTimeoutMs: settings.confirmationTimeoutMs }) + settings.graceMs,
  };
}
