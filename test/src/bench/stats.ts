/** Latency summaries and the concurrency runner every section shares. */

/** Percentiles of a set of durations, in ms; `null` figures when there were no samples. */
export interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? null;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = samples.filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? null,
    mean: sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** `a / b`, or null when either is missing or `b` is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}

/** One step of a chain (a tool call, a round trip, an HTTP call), times from when it was sent. */
export interface StepSample {
  /** Until the first event of the step reached the client; absent where a step has no events. */
  firstEventMs?: number;
  /** Until the step's result reached the client. */
  resultMs: number;
}

/** One chain (availability → book → SMS, or its stand-in in a ceiling), measured by the client. */
export interface ChainSample {
  ok: boolean;
  error?: string;
  /** From sending the first step until the last result. */
  chainMs: number;
  steps: StepSample[];
}

/** The measured figures of one concurrency level of one section. */
export interface LevelFigures {
  concurrency: number;
  chains: number;
  failed: number;
  /** First failures' messages (at most 5). */
  errors: string[];
  wallMs: number;
  chainsPerSecond: number;
  /** Whole chain, first step sent → last result. */
  chain: Summary;
  /** Per step (tool call): sent → its first event at the client. */
  timeToFirstEvent: Summary;
  /** Per step (tool call): sent → its result at the client. */
  timeToResult: Summary;
}

/**
 * Runs `total` chains with `concurrency` of them in flight at any time (each worker takes the
 * next index when its chain ends) and summarises the successful ones. Chain `i` gets the index
 * `offset + i`, so callers can give every chain of a run distinct resources (slots, phones).
 */
export async function runLevel(
  concurrency: number,
  total: number,
  offset: number,
  chain: (index: number) => Promise<ChainSample>,
): Promise<{ figures: LevelFigures; samples: ChainSample[] }> {
  const samples: ChainSample[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      try {
        samples.push(await chain(offset + i));
      } catch (err) {
        samples.push({ ok: false, error: (err as Error).message, chainMs: Number.NaN, steps: [] });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const wallMs = performance.now() - started;
  const ok = samples.filter((s) => s.ok);
  const failed = samples.filter((s) => !s.ok);
  const steps = ok.flatMap((s) => s.steps);
  return {
    samples,
    figures: {
      concurrency,
      chains: total,
      failed: failed.length,
      errors: [...new Set(failed.map((s) => s.error ?? 'failed'))].slice(0, 5),
      wallMs,
      chainsPerSecond: (ok.length * 1000) / wallMs,
      chain: summarize(ok.map((s) => s.chainMs)),
      timeToFirstEvent: summarize(steps.flatMap((s) => (s.firstEventMs === undefined ? [] : [s.firstEventMs]))),
      timeToResult: summarize(steps.map((s) => s.resultMs)),
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
