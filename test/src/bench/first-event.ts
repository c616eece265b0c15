/**
 * Where the time to a tool call's first event goes (issue 18, goal 5), per concurrency level:
 * - the conversation service's stages until the call is accepted, from each tool call's
 *   `Server-Timing` header (services/conversation/src/stage-timing.ts: every Postgres read, the
 *   audit insert, the intent's and the `accepted` event's PubAcks), with its event-loop delay;
 * - the first event's `at` (set just before its publish, server clock; same machine, same clock)
 *   split the client's time in two: sent → `at` (this process's send, the kernel, the
 *   conversation service until the intent's PubAck) and `at` → read off the SSE stream (the
 *   event's PubAck, the stream's consumer, the SSE write and this process's read);
 * - this process's own event-loop delay (it runs the load and the provider sandboxes), which
 *   every time the client measures includes;
 * - how long the conversation service's main thread (its event loop) and this one were ready to
 *   run but waited for a CPU (Linux's /proc/<pid>/schedstat: run-queue wait), per tool call and
 *   as a share of their time on or waiting for a CPU: time the machine's other processes took.
 */
import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { summarize } from './stats.js';

const LOOP_RESOLUTION_MS = 1;

/** A thread's time on a CPU and waiting on a run queue, ms (`undefined` where unreadable). */
function schedstat(pid: number): { run: number; wait: number } | undefined {
  try {
    const [run = '', wait = ''] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return { run: Number(run) / 1e6, wait: Number(wait) / 1e6 };
  } catch {
    return undefined;
  }
}

/** Collects one level's decomposition; `reset()` before each level. */
export class FirstEventStages {
  private stages = new Map<string, number[]>();
  private toAt: number[] = [];
  private delivery: number[] = [];
  private loop: IntervalHistogram | undefined;
  private calls = 0;
  private sched = new Map<string, { run: number; wait: number }>();

  /** @param pids the processes whose main thread's run-queue wait is reported, by name. */
  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  reset(): void {
    this.calls = 0;
    this.sched = new Map();
    for (const [name, pid] of Object.entries(this.pids())) {
      const s = pid === undefined ? undefined : schedstat(pid);
      if (s) this.sched.set(name, s);
    }
    this.stages = new Map();
    this.toAt = [];
    this.delivery = [];
    this.loop?.disable();
    this.loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loop.enable();
  }

  /** One tool call's `Server-Timing` header (`<name>;dur=<ms>, …`). */
  addServerTiming(header: string | null | undefined): void {
    const add = (name: string, ms: number) => {
      const list = this.stages.get(name) ?? [];
      list.push(ms);
      this.stages.set(name, list);
    };
    this.calls++;
    let accepted = 0;
    for (const entry of (header ?? '').split(',')) {
      const match = /^\s*([^;,\s]+);dur=([\d.]+)/.exec(entry);
      if (!match) continue;
      const [, name = '', ms = ''] = match;
      add(name, Number(ms));
      if (!name.startsWith('loop-')) accepted += Number(ms);
    }
    // The stages run back to back: their sum is the request's time until it was accepted.
    if (accepted > 0) add('until accepted', accepted);
  }

  /**
   * A tool call's first event: when the call was sent (`Date.now()`), the event's `at` (ISO)
   * and when the client read it (`Date.now()`).
   */
  addFirstEvent(sentWall: number, first: { at: string | undefined; wall: number } | undefined): void {
    const emitted = first?.at === undefined ? Number.NaN : Date.parse(first.at);
    if (!first || !Number.isFinite(emitted)) return;
    this.toAt.push(emitted - sentWall);
    this.delivery.push(first.wall - emitted);
  }

  /** `<stage> p50/p99` for every stage, the delivery, and this process's event-loop delay (ms). */
  figures(): Record<string, number> {
    const out: Record<string, number> = {};
    const add = (name: string, samples: number[]) => {
      const s = summarize(samples);
      out[`${name} p50`] = s.p50 ?? Number.NaN;
      out[`${name} p99`] = s.p99 ?? Number.NaN;
    };
    for (const [name, samples] of this.stages) add(`st:${name}`, samples);
    add('sent→at', this.toAt);
    add('at→read', this.delivery);
    const loop = this.loop;
    if (loop) {
      const delay = (p: number) => Math.max(0, loop.percentile(p) / 1e6 - LOOP_RESOLUTION_MS);
      out['bench loop p50'] = delay(50);
      out['bench loop p99'] = delay(99);
    }
    for (const [name, pid] of Object.entries(this.pids())) {
      const before = this.sched.get(name);
      const now = pid === undefined ? undefined : schedstat(pid);
      if (!before || !now) continue;
      const run = now.run - before.run;
      const wait = now.wait - before.wait;
      out[`${name} cpu/call`] = this.calls > 0 ? run / this.calls : Number.NaN;
      out[`${name} runq wait/call`] = this.calls > 0 ? wait / this.calls : Number.NaN;
      out[`${name} runq wait %`] = run + wait > 0 ? (100 * wait) / (run + wait) : Number.NaN;
    }
    return out;
  }
}
