/**
 * Readiness that reflects a process's dependencies: a replica that cannot reach Postgres, NATS
 * or Temporal answers `/readyz` with 503, so Kubernetes takes it out of its Service (no new
 * requests) while `/healthz` (liveness) stays 200 and it is not restarted for an outage that a
 * restart cannot fix.
 */

/** Resolves when the dependency answered; rejects (or runs past the timeout) when it did not. */
export type DependencyProbe = () => Promise<unknown>;

/** What {@link checkReadiness} found. */
export interface ReadinessReport {
  ready: boolean;
  /** Each dependency: `ok`, or why it is not. */
  dependencies: Record<string, string>;
}

/** How long one probe may take before its dependency counts as unreachable. */
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;

/** Runs every probe at once, each bounded by `timeoutMs`; ready when all answered. */
export async function checkReadiness(
  probes: Readonly<Record<string, DependencyProbe>>,
  timeoutMs: number = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const names = Object.keys(probes);
  const outcomes = await Promise.all(names.map((name) => probeWithin(probes[name] as DependencyProbe, timeoutMs)));
  const dependencies: Record<string, string> = {};
  names.forEach((name, i) => {
    dependencies[name] = outcomes[i] as string;
  });
  return { ready: outcomes.every((o) => o === 'ok'), dependencies };
}

async function probeWithin(probe: DependencyProbe, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(probe)
        .then(
          () => 'ok',
          (err: unknown) => (err instanceof Error ? err.message : String(err)) || 'unreachable',
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
