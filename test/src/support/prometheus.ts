/**
 * What the tests of `deploy/prometheus` and `deploy/grafana` share: running `promtool` (Debian's
 * `prometheus` package ships it; `.ci/run` installs it) and the metric names the services export,
 * so an alert or a panel cannot query a series that never exists.
 */
import { spawnSync } from 'node:child_process';

/**
 * The instruments every dashboard and alert may rely on, by Prometheus name, as issue #14 fixes
 * them. Histograms export `<name>_bucket`, `_sum` and `_count`. When libs/telemetry exports its
 * own list of instrument names, this list must be replaced by it (one place for the names).
 */
export const ExportedInstruments = {
  switchboard_action_duration_seconds: 'histogram',
  switchboard_action_first_event_seconds: 'histogram',
  switchboard_provider_request_duration_seconds: 'histogram',
  http_server_request_duration_seconds: 'histogram',
  switchboard_provider_retries_total: 'counter',
  switchboard_intents_pending: 'gauge',
  switchboard_confirmations_waiting: 'gauge',
  switchboard_booking_lifecycles_active: 'gauge',
  switchboard_runs_stuck: 'gauge',
  switchboard_credential_status: 'gauge',
} as const;

/** Series Prometheus makes itself for every target. */
const PrometheusSeries = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];

/** Every series name a query may use: the instruments' series and Prometheus's own. */
export const ExportedSeries: ReadonlySet<string> = new Set([
  ...PrometheusSeries,
  ...Object.entries(ExportedInstruments).flatMap(([name, kind]) =>
    kind === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  ),
]);

/** PromQL words that look like series names but are operators or modifiers. */
const Keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);

/**
 * The series names a PromQL expression selects. Label matchers, ranges, grouping clauses and
 * strings are removed first; what remains that is an identifier not called as a function (nor
 * an aggregation) and not a keyword is a series name. Enough for the expressions of this
 * repository's rules and dashboards, not a PromQL parser: `promtool` checks the syntax.
 */
export function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    const name = m[1] as string;
    if (!Keywords.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/** Whether `promtool` can be run, and if not, why (for the skip message). */
export function findPromtool(): { found: true } | { found: false; why: string } {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (r.error === undefined && r.status === 0) return { found: true };
  return { found: false, why: `promtool not found on PATH (${r.error?.message ?? `exit ${r.status}`})` };
}

/** Runs `promtool` in `cwd`; its exit status and everything it printed. */
export function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * Whether the promtool tests run here: wherever promtool is installed, and always in CI (where
 * `.ci/run` installs it, so a missing one fails instead of skipping). Logs why when they do not.
 */
export function promtoolTestsRun(what: string): boolean {
  const found = findPromtool();
  if (found.found || process.env.CI === 'true') return true;
  console.warn(`skipping the promtool checks of ${what}: ${found.why} (apt-get install prometheus provides it)`);
  return false;
}
