/**
 * Where the time to a tool call's first event goes (issue 18, goal 5), per concurrency level:
 * - the conversation service's stages until the call is accepted, from each tool call's
 *   `Server-Timing` header (services/conversation/src/stage-timing.ts: every Postgres read, the
 *   audit insert, the intent's and the `accepted` event's PubAcks), with its event-loop delay;
 * - delivery: the first event's `at` (set just before its publish, server clock) → read by the
 *   client off the SSE stream (same machine, same clock): the PubAck, the stream's consumer, the
 *   SSE write and this process's read;
 * - this process's own event-loop delay (it runs the load and the provider sandboxes), which
 *   every time the client measures includes.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { summarize } from './stats.js';

const LOOP_RESOLUTION_MS = 1;

/** Collects one level's decomposition; `reset()` before each level. */
export class FirstEventStages {
  private stages = new Map<string, number[]>();
  private delivery: number[] = [];
  private loop: IntervalHistogram | undefined;

  reset(): void {
    this.stages = new Map();
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
    let accepted = 0;
    for (const entry of (header ?? '').split(',')) {
      const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(entry);
      if (!match) continue;
      const [, name = '', ms = ''] = match;
      add(name, Number(ms));
      if (!name.startsWith('loop-')) accepted += Number(ms);
    }
    // The stages run back to back: their sum is the request's time until it was accepted.
    if (accepted > 0) add('until accepted', accepted);
  }

  /** A first event: its emission time (`at`, ISO) and when the client read it (`Date.now()`). */
  addDelivery(at: string | undefined, readAt: number): void {
    const emitted = at === undefined ? Number.NaN : Date.parse(at);
    if (Number.isFinite(emitted)) this.delivery.push(readAt - emitted);
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
    add('delivery (at→read)', this.delivery);
    const loop = this.loop;
    if (loop) {
      const delay = (p: number) => Math.max(0, loop.percentile(p) / 1e6 - LOOP_RESOLUTION_MS);
      out['bench loop p50'] = delay(50);
      out['bench loop p99'] = delay(99);
    }
    return out;
  }
}
