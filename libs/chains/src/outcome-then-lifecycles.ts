/**
 * The local activity that publishes an intent's outcome and then starts the lifecycles of the
 * bookings it made (see {@link OutcomeThenLifecyclesActivities}), built from the session's own
 * `publishOutcome` and `startBookingLifecycles` so it does exactly their work.
 */
import type {
  LifecyclesStarted,
  OutcomeThenLifecycles,
  OutcomeThenLifecyclesActivities,
  SessionActivities,
} from './activity-types.js';
import type { LifecycleStart } from './lifecycle-start.js';
import { lifecycleStartReport, startOutcomes } from './workflows/session/lifecycle-report.js';

/**
 * How long the starts may take before the session is left to start them itself. Well inside
 * the local activity's 15 s start-to-close timeout: a timed-out attempt would be retried and
 * publish the outcome again.
 */
const START_BUDGET_MS = 5_000;

/** {@link OutcomeThenLifecyclesActivities} over the session's activities. */
export function createOutcomeThenLifecyclesActivities(
  session: Pick<SessionActivities, 'publishOutcome' | 'startBookingLifecycles'>,
  startBudgetMs = START_BUDGET_MS,
): OutcomeThenLifecyclesActivities {
  return {
    async publishOutcomeThenStartLifecycles({
      outcome,
      lifecycles,
      reportSeq,
    }: OutcomeThenLifecycles): Promise<LifecyclesStarted> {
      // A failure here fails the activity: retried like the outcome's own local activity.
      await session.publishOutcome(outcome);
      let started: LifecycleStart[] | undefined;
      try {
        started = await withinBudget(session.startBookingLifecycles(lifecycles), startBudgetMs);
      } catch {
        // The session starts them with the starter's own retries and reports how that went.
        return { reported: false };
      }
      if (started === undefined) return { reported: false };
      const events = startOutcomes(lifecycles, started).map((o, i) => ({
        seq: reportSeq + i,
        ...lifecycleStartReport(lifecycles[i] as (typeof lifecycles)[number], o),
        atMs: Date.now(),
      }));
      try {
        await session.publishOutcome({ intent: outcome.intent, first: false, events });
        return { started, reported: true };
      } catch {
        // The session publishes the same events (same sequence numbers) itself.
        return { started, reported: false };
      }
    },
  };
}

/** The promise's value, or undefined once `ms` have passed (the work goes on unobserved). */
async function withinBudget<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  // A start that finishes after the budget is not waited for; its failure is not unhandled.
  work.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
