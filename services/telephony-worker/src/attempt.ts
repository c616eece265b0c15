/**
 * The time frame of one activity attempt. Warm transfers wait for people (ringing, a whisper),
 * which can take longer than one attempt may run, so the work is bounded by the attempt's
 * deadline and resumed by the next attempt from the effect record. Inside a Temporal activity
 * the deadline comes from the activity's start-to-close timeout, heartbeats record progress,
 * and sleeps end early when the activity is cancelled; outside one (direct calls in tests)
 * a fixed budget applies.
 */
import { asyncLocalStorage } from '@temporalio/activity';

/** The running attempt. */
export interface Attempt {
  /** Epoch ms by which the attempt must have returned or thrown. */
  readonly deadline: number;
  /** Milliseconds left before the deadline (never negative). */
  remaining(): number;
  /** Records progress (the details are visible to the next attempt and in the Temporal UI). */
  heartbeat(details?: unknown): void;
  /** Sleeps (cancellable inside an activity). */
  sleep(ms: number): Promise<void>;
}

/** Time kept back before the deadline for saving progress and answering. */
const MARGIN_MS = 3_000;

/** The current attempt; `fallbackBudgetMs` applies outside an activity. */
export function currentAttempt(fallbackBudgetMs: number): Attempt {
  const ctx = asyncLocalStorage.getStore();
  const now = Date.now();
  if (ctx === undefined) {
    const deadline = now + fallbackBudgetMs;
    return {
      deadline,
      remaining: () => Math.max(0, deadline - Date.now()),
      heartbeat: () => {},
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  }
  const info = ctx.info;
  let budget = info.startToCloseTimeoutMs > 0 ? info.startToCloseTimeoutMs : fallbackBudgetMs;
  if (info.scheduleToCloseTimeoutMs > 0) {
    budget = Math.min(budget, info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs - now);
  }
  // Keep a quarter of short budgets (tests) rather than a fixed margin that would swallow them.
  const deadline = now + Math.max(500, budget - Math.min(MARGIN_MS, budget / 4));
  return {
    deadline,
    remaining: () => Math.max(0, deadline - Date.now()),
    heartbeat: (details) => ctx.heartbeat(details),
    sleep: (ms) => ctx.sleep(ms),
  };
}
