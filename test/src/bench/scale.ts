/**
 * Scale: N booking lifecycles waiting on timers and SMS replies, then most of their reminder
 * timers coming due at the same instant.
 *
 * The workflows run on the stack's real chains worker (the orchestrator process, with its
 * production settings: 100 concurrent workflow tasks, 2000 cached workflows), against the stack's
 * Temporal server. Their provider effects go to fake activities registered in this process on
 * the Cal.com and telephony task queues (the real provider workers are stopped first), so the
 * figures are Temporal + workflow, not the sandboxes. Each lifecycle subscribes to the SMS
 * thread of its own phone number, which starts one `smsThread` workflow per lifecycle: 2 N
 * workflows in all.
 *
 * Starts are paced: at most {@link START_WINDOW} lifecycles are between their start and their
 * first SMS (the point where they wait). Unpaced, a burst of starts outruns a worker on a small
 * machine: workflow tasks queue behind each other past their 10 s timeout, Temporal hands them
 * out again, and the worker spends itself on work that is thrown away.
 *
 * The reminder timers are fixed in each workflow's input, so the due instant is chosen before
 * the measured lifecycles start: a pilot (5 %, at least 20) starts first with reminders a day
 * away — they stay, waiting, in the population — and its settle rate sets the due instant of
 * the rest (their expected settle time × 1.5 + 10 s). `--scale-due-s` skips the pilot.
 *
 * Lateness of a timer = when the first activity after it (`calcom.get`, the booking check that
 * precedes the reminder SMS) began executing here, minus when the timer was due. It includes
 * the timer firing, the workflow task (a replay for histories the worker's cache evicted) and
 * the activity dispatch: how late a reminder really is.
 */
import { readFileSync } from 'node:fs';
import { type ProviderCall, startBookingLifecycleWorkflow } from '@switchboard/chains';
import { type BookingLifecycleInput, TaskQueues } from '@switchboard/contracts';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { phoneFor, RECEPTIONIST } from './booking.js';
import { type ProcessUsage, rssMb, startUsageMeter, type TrackedProcess } from './procstat.js';
import { type BareScaleFigures, fireRate } from './scale-bare.js';
import { pool, type Summary, summarize } from './stats.js';

/** Lifecycles started and not yet waiting, at most. */
export const START_WINDOW = 50;
/** A lifecycle that has not sent its first SMS this long after its start no longer holds a start slot. */
const SETTLE_TIMEOUT_MS = 120_000;
const PILOT_FRACTION = 0.05;
const PILOT_MIN = 20;
/** The pilot stops starting lifecycles after this long (an overloaded worker must not stall the run). */
const PILOT_MAX_MS = 120_000;
/** Expected settle time of the measured lifecycles × this, + {@link DUE_MARGIN_MS}: their due time. */
const DUE_SAFETY = 1.5;
const DUE_MARGIN_MS = 10_000;
/** The reminder goes this long before the appointment (so the appointment itself is not due during the run). */
const REMINDER_BEFORE_MS = 3_600_000;
/** The pilot's reminders: far beyond the run. */
const PILOT_DUE_AFTER_MS = 86_400_000;

/** Memory of one process at the section's moments, in MB. */
export interface ScaleMemory {
  name: string;
  /** Before any lifecycle started. */
  baselineMb: number;
  /** All lifecycles started and waiting (just before the timers were due). */
  waitingMb: number;
  /** After the timers fired. */
  afterMb: number;
  /** Largest sampled (or VmHWM) during the whole section. */
  peakMb: number;
}

/** What the scale section reports. */
export interface ScaleFigures {
  /** Lifecycles asked for (pilot included). */
  workflows: number;
  /** Lifecycles started: fewer than `workflows` when starting had to stop at the due time (or the pilot's limit). */
  started: number;
  /** SMS-thread workflows the lifecycles started (one per phone number). */
  smsThreads: number;
  /** Pilot lifecycles (reminders a day away; not in the lateness figures). */
  pilot: number;
  startWindow: number;
  /** Lifecycles started and waiting per second (paced starts), pilot and rest together. */
  settledPerSecond: number;
  /** Until every lifecycle was waiting (null: some never were). */
  settledInMs: number | null;
  /** Measured lifecycles (not the pilot) whose timer was due together. */
  measured: number;
  /** Measured lifecycles that were waiting before the due time (the others are left out). */
  settledBeforeDue: number;
  /** The measured timers were due this long after the measured lifecycles began to start. */
  dueAfterMs: number;
  /** Timers of the lifecycles waiting before due whose booking check ran. */
  fired: number;
  /** Booking check start − due time, ms, of the lifecycles waiting before due. */
  lateness: Summary;
  /** Timers fired ÷ (last booking check's start − due time), per second. */
  firedPerSecond: number;
  /** The same timers and activities per reminder in bare workflows, in the same run (scale-bare.ts). */
  bare?: BareScaleFigures;
  /** Reminder SMS start − due time, ms. */
  reminderSmsLateness: Summary;
  /**
   * The chains worker's log lines during the section about workflow tasks over 5 s (TMPRL1104)
   * or completed after their timeout ("Task not found"): signs of an overloaded worker.
   */
  workerOverloadWarnings: number;
  /** The chains worker process was gone at the end of the section (it crashed: see its log). */
  workerExited: boolean;
  memory: ScaleMemory[];
  processes: ProcessUsage[];
  notes: string[];
}

/** Inputs of {@link runScale}. */
export interface ScaleContext {
  n: number;
  /** Due time of the measured timers after they begin to start; undefined: from the pilot's rate. */
  dueAfterMs: number | undefined;
  /** First chain index not used by the chain sections: phone numbers stay distinct from theirs. */
  indexOffset: number;
  temporalAddress: string;
  namespace: string;
  run: string;
  /** The chains worker (orchestrator) and the Temporal server. */
  worker: TrackedProcess;
  server: TrackedProcess;
  /** The chains worker's log file, for its overload warnings. */
  workerLog: string;
  /** Every process to meter. */
  processes: TrackedProcess[];
  /** Stops the real provider workers so the fakes here get every activity. */
  stopProviderWorkers(): Promise<void>;
  log(message: string): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `done` every 250 ms until it holds or `deadline` (epoch ms) passes; true when it held.
 * `progress` is called every 15 s meanwhile (long runs show they are alive).
 */
export async function until(done: () => boolean, deadline: number, progress?: () => void): Promise<boolean> {
  let lastProgress = Date.now();
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(250);
    if (progress && Date.now() - lastProgress >= 15_000) {
      lastProgress = Date.now();
      progress();
    }
  }
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function overloadWarnings(logFile: string): number {
  try {
    return (readFileSync(logFile, 'utf8').match(/TMPRL1104|Task not found when completing/g) ?? []).length;
  } catch {
    return 0;
  }
}

export async function runScale(ctx: ScaleContext): Promise<ScaleFigures> {
  const n = ctx.n;
  const prefix = `bench-scale-${ctx.run}-`;
  const tenantId = `ten_bench_${ctx.run}`;
  await ctx.stopProviderWorkers();

  // Per intent (one per lifecycle): when its confirmation SMS, booking check and reminder SMS ran.
  const confirmAt = new Map<string, number>();
  const checkAt = new Map<string, number>();
  const reminderAt = new Map<string, number>();
  const starts = new Map<string, string>();
  const settleWaiters = new Map<string, () => void>();
  const mine = (call: ProviderCall) => call.intentId.startsWith(prefix);
  const first = (map: Map<string, number>, key: string) => {
    if (!map.has(key)) map.set(key, Date.now());
  };
  const bookingState = (call: ProviderCall) => {
    const uid = String((call.payload as Record<string, unknown>).booking_uid ?? '');
    const start = starts.get(call.intentId) ?? new Date(Date.now() + REMINDER_BEFORE_MS).toISOString();
    return {
      booking_id: 1,
      booking_uid: uid,
      status: 'accepted',
      start,
      end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
      time_zone: RECEPTIONIST.timeZone,
      event_type_id: RECEPTIONIST.eventTypeId,
      cancellation_reason: null,
      rescheduled_from_uid: null,
      rescheduled_to_uid: null,
    };
  };
  const native = await NativeConnection.connect({ address: ctx.temporalAddress });
  const workers = [
    await Worker.create({
      connection: native,
      namespace: ctx.namespace,
      taskQueue: TaskQueues.Calcom,
      maxConcurrentActivityTaskExecutions: 500,
      activities: {
        'calcom.get': async (call: ProviderCall) => {
          if (mine(call)) first(checkAt, call.intentId);
          return bookingState(call);
        },
        'calcom.cancel': async (call: ProviderCall) => ({ ...bookingState(call), status: 'cancelled' }),
      },
    }),
    await Worker.create({
      connection: native,
      namespace: ctx.namespace,
      taskQueue: TaskQueues.Telephony,
      maxConcurrentActivityTaskExecutions: 500,
      activities: {
        'sms.send': async (call: ProviderCall) => {
          if (mine(call)) {
            if (call.stepPointer.endsWith('/confirm_request')) {
              first(confirmAt, call.intentId);
              settleWaiters.get(call.intentId)?.();
            } else if (call.stepPointer.includes('/reminder/')) first(reminderAt, call.intentId);
          }
          return { message_sid: `SM${'0'.repeat(32)}`, status: 'queued' };
        },
      },
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const connection = await Connection.connect({ address: ctx.temporalAddress });
  const client = new Client({ connection, namespace: ctx.namespace });
  const memory = new Map<string, ScaleMemory>();
  for (const p of [ctx.worker, ctx.server]) {
    memory.set(p.name, { name: p.name, baselineMb: rssMb(p), waitingMb: 0, afterMb: 0, peakMb: 0 });
  }
  const warningsBefore = overloadWarnings(ctx.workerLog);
  const meter = startUsageMeter(ctx.processes);

  let started = 0;
  /**
   * Starts lifecycles `from`..`to`-1 with reminders due at `dueMs`, paced; starts none after
   * `stopAt` (epoch ms). Resolves when each started one settled (or timed out), or at `stopAt`.
   */
  const startPaced = async (from: number, to: number, dueMs: number, stopAt: number, progress: string) => {
    const startIso = new Date(dueMs + REMINDER_BEFORE_MS).toISOString();
    const indexes = Array.from({ length: to - from }, (_, i) => from + i);
    let lastProgress = Date.now();
    const all = pool(indexes, START_WINDOW, async (i) => {
      if (Date.now() >= stopAt) return;
      started++;
      const intentId = `${prefix}${i}`;
      const bookingUid = `bench${ctx.run}x${i}`;
      starts.set(intentId, startIso);
      const settled = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SETTLE_TIMEOUT_MS);
        settleWaiters.set(intentId, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const input: BookingLifecycleInput = {
        tenantId,
        conversationId: `conv-${intentId}`,
        intentId,
        bookingUid,
        start: startIso,
        timeZone: RECEPTIONIST.timeZone,
        phone: phoneFor(ctx.indexOffset + i),
        attendeeName: `Caller ${i}`,
        calcomCredential: 'calcom_main',
        smsCredential: 'twilio_main',
        smsFrom: RECEPTIONIST.smsFrom,
        eventTypeId: RECEPTIONIST.eventTypeId,
        timings: { confirmWithinMs: 7 * 86_400_000, reminderBeforeMs: REMINDER_BEFORE_MS },
        sandbox: false,
      };
      // As the orchestrator starts them: thread subscription first, then the lifecycle.
      await startBookingLifecycleWorkflow(client, TaskQueues.Chains, input);
      await settled;
      settleWaiters.delete(intentId);
      if (Date.now() - lastProgress >= 15_000) {
        lastProgress = Date.now();
        ctx.log(`scale: ${progress}: ${confirmAt.size}/${n} waiting`);
      }
    });
    // When `stopAt` wins, starts still in flight finish (or fail, once the client closes) unobserved.
    all.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, stopAt - Date.now()));
    });
    await Promise.race([all, stop]);
    clearTimeout(timer);
  };

  try {
    const t0 = Date.now();
    let pilot = 0;
    let measuredStart = t0;
    let dueMs: number;
    if (ctx.dueAfterMs !== undefined) {
      dueMs = t0 + ctx.dueAfterMs;
    } else {
      pilot = Math.min(n - 1, Math.max(PILOT_MIN, Math.ceil(n * PILOT_FRACTION)));
      ctx.log(`scale: pilot of ${pilot} lifecycles (reminders a day away) to learn the settle rate`);
      await startPaced(0, pilot, t0 + PILOT_DUE_AFTER_MS, t0 + PILOT_MAX_MS, 'pilot');
      measuredStart = Date.now();
      const perLifecycleMs = (measuredStart - t0) / Math.max(1, confirmAt.size);
      dueMs = measuredStart + Math.round((n - pilot) * perLifecycleMs * DUE_SAFETY) + DUE_MARGIN_MS;
    }
    const dueAfterMs = dueMs - measuredStart;
    ctx.log(`scale: starting ${n - pilot} lifecycles, reminders due in ${(dueAfterMs / 1000).toFixed(0)} s`);
    // Lifecycles started after the due time would not wait for it: starting stops a second before.
    await startPaced(pilot, n, dueMs, dueMs - 1_000, 'measured');
    const allSettled = confirmAt.size >= n;
    const settledInMs = allSettled ? Math.max(...confirmAt.values()) - t0 : null;
    // Only lifecycles already waiting when their timer came due measure timer lateness.
    const measured = Array.from({ length: n - pilot }, (_, i) => `${prefix}${pilot + i}`);
    const waiting = measured.filter((intent) => (confirmAt.get(intent) ?? Number.POSITIVE_INFINITY) < dueMs);
    for (const p of [ctx.worker, ctx.server]) (memory.get(p.name) as ScaleMemory).waitingMb = rssMb(p);

    ctx.log(
      `scale: ${confirmAt.size}/${n} waiting (${waiting.length}/${measured.length} measured before due); ` +
        `timers due in ${((dueMs - Date.now()) / 1000).toFixed(0)} s`,
    );
    const giveUp = Math.max(Date.now(), dueMs) + Math.max(60_000, n * 30);
    const firedOf = (map: Map<string, number>) => waiting.filter((i) => map.has(i)).length;
    await until(
      () => firedOf(checkAt) >= waiting.length,
      giveUp,
      () => ctx.log(`scale: ${firedOf(checkAt)}/${waiting.length} timers fired`),
    );
    // The reminder SMS follows its check at once; give the last ones a moment.
    await until(() => firedOf(reminderAt) >= firedOf(checkAt), Math.min(giveUp, Date.now() + 10_000));
    for (const p of [ctx.worker, ctx.server]) (memory.get(p.name) as ScaleMemory).afterMb = rssMb(p);

    const processes = meter.stop();
    for (const m of memory.values()) {
      const usage = processes.find((u) => u.name === m.name);
      m.peakMb = Math.max(usage?.peakRssMb ?? 0, m.waitingMb, m.afterMb);
    }
    const lateBy = (map: Map<string, number>) =>
      summarize(waiting.flatMap((i) => (map.has(i) ? [(map.get(i) as number) - dueMs] : [])));
    const lastSettle = Math.max(t0, ...confirmAt.values());
    const lateness = lateBy(checkAt);
    const workerExited = !alive(ctx.worker.pid);
    if (workerExited) ctx.log(`scale: the chains worker (${ctx.worker.name}) exited; see ${ctx.workerLog}`);
    return {
      workflows: n,
      started,
      smsThreads: started,
      pilot,
      startWindow: START_WINDOW,
      settledPerSecond: (confirmAt.size * 1000) / Math.max(1, lastSettle - t0),
      settledInMs,
      measured: measured.length,
      settledBeforeDue: waiting.length,
      dueAfterMs,
      fired: firedOf(checkAt),
      lateness,
      firedPerSecond: fireRate(lateness.count, lateness.max),
      reminderSmsLateness: lateBy(reminderAt),
      workerOverloadWarnings: overloadWarnings(ctx.workerLog) - warningsBefore,
      workerExited,
      memory: [...memory.values()],
      processes,
      notes: [
        ...(workerExited
          ? [`The chains worker (${ctx.worker.name}) exited during the section: see ${ctx.workerLog}.`]
          : []),
        `${started} bookingLifecycle workflows + as many smsThread workflows (one per phone) on the orchestrator's chains worker; ` +
          'provider activities are in-process fakes (the real calcom/telephony workers were stopped).',
        `Starts paced: at most ${START_WINDOW} lifecycles between start and their first SMS.`,
        pilot > 0
          ? `A pilot of ${pilot} (reminders a day away, still waiting in the population) set the due time from its settle rate.`
          : 'Due time given with --scale-due-s.',
        'Measured reminder timers all due at the same instant; lateness = booking-check activity start − due time.',
        'Lifecycles still running when the stack stops are discarded with the in-memory Temporal server.',
      ],
    };
  } finally {
    meter.stop();
    for (const w of workers) w.shutdown();
    await running.catch(() => {});
    await connection.close();
    await native.close();
  }
}
