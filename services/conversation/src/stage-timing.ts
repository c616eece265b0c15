/**
 * Where a tool call's time goes until it is accepted (issue 18, goal 5: a voice runtime speaks
 * the call's `accepted` event within milliseconds), sent as a standard `Server-Timing` response
 * header: each stage's duration, then the event-loop delay this process had lately. The bench
 * reads it to decompose the time to the first event; any client may, it names no data.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How long one event-loop delay window lasts: the figures sent are those of the last full one. */
const LOOP_WINDOW_MS = 1_000;
/** The probe's timer interval (ms); the histogram records whole intervals, so it is taken off. */
const LOOP_RESOLUTION_MS = 1;

/** Durations of a request's stages, in the order they ran. */
export class StageTimes {
  private last = performance.now();
  private readonly stages: [string, number][] = [];

  /** A stage that ended just now and took `ms` (one timed by someone else, e.g. Fastify). */
  add(name: string, ms: number): void {
    this.stages.push([name, ms]);
    this.last = performance.now();
  }

  /** Ends the stage running since the previous mark (or since this was made) and names it. */
  mark(name: string): void {
    const now = performance.now();
    this.stages.push([name, now - this.last]);
    this.last = now;
  }

  /** The `Server-Timing` header: `<stage>;dur=<ms>, …, loop-p50;dur=<ms>, loop-p99;dur=<ms>`. */
  header(): string {
    const loop = eventLoopDelay();
    const entries: [string, number][] = [...this.stages, ['loop-p50', loop.p50], ['loop-p99', loop.p99]];
    return entries.map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`).join(', ');
  }
}

let histogram: IntervalHistogram | undefined;
let window = { p50: 0, p99: 0 };

/**
 * The event-loop delay (ms) of the last full window: how long a callback that was ready waited
 * for the loop, which every stage above includes. Monitoring starts at the first call.
 */
function eventLoopDelay(): { p50: number; p99: number } {
  if (histogram === undefined) {
    const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    h.enable();
    histogram = h;
    setInterval(() => {
      const delay = (p: number) => Math.max(0, h.percentile(p) / 1e6 - LOOP_RESOLUTION_MS);
      window = { p50: delay(50), p99: delay(99) };
      h.reset();
    }, LOOP_WINDOW_MS).unref();
  }
  return window;
}
