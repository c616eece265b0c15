/**
 * Stuck runs are never silently left behind. A run still `accepted` or `running` long after its
 * deadline (`STUCK_RUN_ABANDON_AFTER_MS` past it) is looked at: if its intent can still be
 * handed over or run, it is left alone (it stays `stuck` in the runs API, for people to see);
 * if nothing will ever run it — its session workflow does not exist or has closed, or is running
 * and never got it (a conversation service that died between writing the run and publishing
 * the intent, an intent lost from the stream, a session terminated by hand) — it ends
 * `failed` with `run_abandoned`, published by the orchestrator's own outcome publisher, so
 * callers, event streams and the audit row see it like any other failure. Whatever cannot be
 * decided (Temporal or NATS unreachable, a session that does not say) stays stuck, and is
 * looked at again on the next sweep.
 */
import { randomBytes } from 'node:crypto';
import type { Bus } from '@switchboard/bus';
import type { PublishedEvent, SessionActivities } from '@switchboard/chains';
import type { Logger } from '@switchboard/common';
import {
  decodeEvent,
  type SessionSnapshot,
  Streams,
  Subjects,
  sessionStateQuery,
  sessionWorkflowId,
} from '@switchboard/contracts';
import { listOverdueRuns, type OverdueRun, type Pool, withAdvisoryLockOrSkip } from '@switchboard/db';
import { contextFromTraceHeaders, currentTraceHeaders, type Tracer, withSpan } from '@switchboard/telemetry';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';

/** The stable error code of a run nothing will ever finish. */
export const RUN_ABANDONED = 'run_abandoned';

/** What the sweeper found out about one overdue run. */
export type StuckRunVerdict =
  | {
      action: 'abandon';
      /** No session workflow / it has closed / it is running and does not know the intent. */
      reason: 'session_missing' | 'session_closed' | 'not_in_session';
      /** The running session holds the caller's explicit inactivity pause until then (ms). */
      inactivityPausedUntilMs?: number;
    }
  | {
      action: 'keep';
      /** The session has it (queued, running or waiting) / it still waits on the bus / no answer. */
      reason: 'in_session' | 'queued_on_bus' | 'undecidable';
      detail?: string;
      /** NATS or Temporal could not be asked at all (not: one session did not answer). */
      unreachable?: boolean;
    };

/** What a sweep did. */
export interface SweepReport {
  /** Overdue runs looked at. */
  examined: number;
  /** Runs ended `failed` with {@link RUN_ABANDONED}. */
  abandoned: string[];
  /** Runs left stuck, by reason. */
  kept: Record<'in_session' | 'queued_on_bus' | 'undecidable', number>;
  /** Another replica was sweeping: this one did nothing. */
  skipped: boolean;
}

/** Dependencies of {@link StuckRunSweeper}. */
export interface StuckRunSweeperDeps {
  db: Pool;
  bus: Bus;
  temporal: Client;
  tracer: Tracer;
  log: Logger;
  /** The orchestrator's outcome publisher (audit row, events, result), as the workflows use it. */
  publishOutcome: SessionActivities['publishOutcome'];
  /** How long after its deadline an unfinished run is looked at (`STUCK_RUN_ABANDON_AFTER_MS`). */
  overdueMs: number;
  /** Runs looked at per sweep, most overdue first. Default 100. */
  batch?: number;
  /** Longest wait for Temporal's answer about one session. Default 10 s. */
  temporalTimeoutMs?: number;
}

/** Any advisory-lock key works as long as every orchestrator uses the same one. */
const SWEEP_LOCK = 0x5b57_0c4d;

/** Finds overdue runs and decides about each; see the module comment. */
export class StuckRunSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Where the next sweep goes on: past the runs this one could not settle (wraps around). */
  private after: OverdueRun | undefined;

  constructor(private readonly deps: StuckRunSweeperDeps) {}

  /** Sweeps every `everyMs` (one replica at a time, through an advisory lock). */
  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err) => this.deps.log.warn({ err }, 'stuck-run sweep failed; next one retries'))
        .finally(() => {
          this.running = undefined;
        });
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep: every overdue run (up to the batch), decided and, where decided so, abandoned. */
  async sweep(): Promise<SweepReport> {
    const report: SweepReport = {
      examined: 0,
      abandoned: [],
      kept: { in_session: 0, queued_on_bus: 0, undecidable: 0 },
      skipped: true,
    };
    await withAdvisoryLockOrSkip(this.deps.db, SWEEP_LOCK, async () => {
      report.skipped = false;
      const batch = this.deps.batch ?? 100;
      const runs = await listOverdueRuns(this.deps.db, this.deps.overdueMs, batch, this.after);
      // A short batch reached the end: the next sweep starts from the most overdue again.
      this.after = runs.length < batch ? undefined : runs[runs.length - 1];
      for (const run of runs) {
        report.examined++;
        const verdict = await this.decide(run);
        if (verdict.action === 'abandon') {
          await this.abandon(run, verdict.reason, verdict.inactivityPausedUntilMs);
          report.abandoned.push(run.intentId);
          continue;
        }
        report.kept[verdict.reason]++;
        this.deps.log.warn(
          { intentId: run.intentId, tenantId: run.tenantId, deadlineAt: run.deadlineAt, ...verdict },
          'stuck run left as it is',
        );
        if (verdict.reason === 'undecidable' && verdict.unreachable) {
          // NATS or Temporal does not answer: the other runs would wait out the same timeout.
          this.after = undefined;
          break;
        }
      }
    });
    return report;
  }

  /** Whether anything can still run the intent (see the module comment). */
  async decide(run: OverdueRun): Promise<StuckRunVerdict> {
    // First the bus: a message of the conversation still in the intents stream (work-queue:
    // only unacknowledged messages stay) may be this intent, on its way to the session.
    // Stored under the conversation's partition, or (from before partitioning) as published.
    let waiting = 0;
    try {
      for (const filter of [
        Subjects.intentStored(run.tenantId, run.conversationId),
        Subjects.intent(run.tenantId, run.conversationId),
      ]) {
        const info = await this.deps.bus.jsm.streams.info(Streams.Intents, { subjects_filter: filter });
        for (const n of Object.values(info.state.subjects ?? {})) waiting += n;
      }
    } catch (err) {
      return {
        action: 'keep',
        reason: 'undecidable',
        detail: `intents stream: ${(err as Error).message}`,
        unreachable: true,
      };
    }
    if (waiting > 0) return { action: 'keep', reason: 'queued_on_bus' };
    // Nothing left on the bus: the intent was handed to its session, or never will be.
    const timeoutMs = this.deps.temporalTimeoutMs ?? 10_000;
    const handle = this.deps.temporal.workflow.getHandle(sessionWorkflowId(run.tenantId, run.conversationId));
    let status: string;
    try {
      status = (await this.deps.temporal.withDeadline(Date.now() + timeoutMs, () => handle.describe())).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { action: 'abandon', reason: 'session_missing' };
      return {
        action: 'keep',
        reason: 'undecidable',
        detail: `describe: ${(err as Error).message}`,
        unreachable: true,
      };
    }
    if (status !== 'RUNNING') return { action: 'abandon', reason: 'session_closed' };
    let snapshot: SessionSnapshot;
    try {
      snapshot = await this.deps.temporal.withDeadline(Date.now() + timeoutMs, () => handle.query(sessionStateQuery));
    } catch (err) {
      return { action: 'keep', reason: 'undecidable', detail: `query: ${(err as Error).message}` };
    }
    if (snapshot.recentIntentIds.includes(run.intentId) || snapshot.pendingIntentIds?.includes(run.intentId)) {
      return { action: 'keep', reason: 'in_session' };
    }
    // A worker of an earlier release does not list what it has pending.
    if (snapshot.pendingIntentIds === undefined && snapshot.pending > 0) {
      return { action: 'keep', reason: 'undecidable', detail: 'the session does not list its pending intents' };
    }
    return {
      action: 'abandon',
      reason: 'not_in_session',
      ...(snapshot.inactivityPausedUntilMs !== undefined
        ? { inactivityPausedUntilMs: snapshot.inactivityPausedUntilMs }
        : {}),
    };
  }

  /** Ends the run `failed` (`run_abandoned`) through the outcome publisher, in the run's trace. */
  private async abandon(
    run: OverdueRun,
    reason: Extract<StuckRunVerdict, { action: 'abandon' }>['reason'],
    inactivityPausedUntilMs: number | undefined,
  ) {
    const parent = run.traceId
      ? contextFromTraceHeaders(`00-${run.traceId}-${randomSpanId()}-01`)
      : contextFromTraceHeaders(undefined);
    await withSpan(
      this.deps.tracer,
      'abandon stuck run',
      {
        parent,
        attributes: {
          'switchboard.intent_id': run.intentId,
          'switchboard.conversation_id': run.conversationId,
          'switchboard.abandon_reason': reason,
        },
      },
      async () => {
        const lastSeq = await this.lastEventSeq(run);
        const atMs = Date.now();
        const error = { code: RUN_ABANDONED, message: ABANDON_MESSAGES[reason], retryable: false };
        const events = abandonEvents(lastSeq, error, atMs, inactivityPausedUntilMs);
        await this.deps.publishOutcome({
          intent: {
            intentId: run.intentId,
            tenantId: run.tenantId,
            conversationId: run.conversationId,
            actionName: run.actionName,
            traceparent: currentTraceHeaders().traceparent,
          },
          first: false,
          events,
          final: {
            status: 'failed',
            messages: [],
            events,
            outputs: {},
            error,
            startedAtMs: run.acceptedAt.getTime(),
            finishedAtMs: atMs,
          },
        });
      },
    );
    this.deps.log.warn(
      { intentId: run.intentId, tenantId: run.tenantId, conversationId: run.conversationId, reason },
      'stuck run abandoned: failed with run_abandoned',
    );
  }

  /** The seq of the intent's last event on the bus, if any went out (events are kept 24 h). */
  private async lastEventSeq(run: OverdueRun): Promise<number | undefined> {
    const msg = await this.deps.bus.jsm.direct
      .getMessage(Streams.Events, { last_by_subj: Subjects.event(run.conversationId, run.intentId) })
      .catch(() => null);
    return msg ? decodeEvent(msg.data).seq : undefined;
  }
}

/**
 * The closing events of an abandoned run, numbered after its last event on the bus (if any):
 * `failed`, then — only when events went out, so the runtime paused its inactivity timer for the
 * run — what ends that pause: the automatic `resume_inactivity`, or, while the caller's explicit
 * pause holds (`pausedUntilMs` after `atMs`), a `log` saying the timer stays paused, exactly as a
 * run the session finishes would (an automatic resume must never cancel an explicit pause).
 */
export function abandonEvents(
  lastSeq: number | undefined,
  error: { code: string; message: string; retryable: boolean },
  atMs: number,
  pausedUntilMs: number | undefined,
): PublishedEvent[] {
  const events: PublishedEvent[] = [{ seq: (lastSeq ?? -1) + 1, kind: 'failed', data: { ...error }, atMs }];
  // No session event went out (an `accepted` alone, sequence 0, is the conversation service's):
  // nothing paused the runtime's inactivity timer, so there is nothing to resume.
  if (lastSeq === undefined || lastSeq === 0) return events;
  if (pausedUntilMs !== undefined && pausedUntilMs > atMs) {
    events.push({
      seq: lastSeq + 2,
      kind: 'log',
      data: {
        level: 'info',
        message: 'inactivity timer left paused: an explicit pause holds',
        data: { until: new Date(pausedUntilMs).toISOString() },
      },
      atMs,
    });
  } else {
    events.push({
      seq: lastSeq + 2,
      kind: 'call_control',
      data: { action: 'resume_inactivity', automatic: true },
      atMs,
    });
  }
  return events;
}

const ABANDON_MESSAGES: Record<Extract<StuckRunVerdict, { action: 'abandon' }>['reason'], string> = {
  session_missing:
    'the run was abandoned: its intent never reached a session workflow (none exists for the conversation) and is no longer on its way; nothing will run it',
  session_closed:
    "the run was abandoned: the conversation's session workflow has closed without finishing it; nothing will run it",
  not_in_session:
    "the run was abandoned: the conversation's session workflow never received its intent, and it is no longer on its way; nothing will run it",
};

/** A W3C span id (8 random bytes; all-zero is invalid and, at 2^-64, not worth a loop). */
function randomSpanId(): string {
  return randomBytes(8).toString('hex');
}
