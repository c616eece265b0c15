/**
 * Switchboard's metrics: every instrument is defined here, once, with the names dashboards and
 * alert rules rely on (`deploy/`), and served in Prometheus text format by each service's
 * `GET /metrics` (and pushed over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set).
 *
 * Instruments are reached through the functions below (`recordActionOutcome`, …) rather than
 * through the OpenTelemetry global meter: the metrics API has no proxy meter, so an instrument
 * taken before {@link initMetrics} would stay a no-op forever. Before `initMetrics` (unit tests,
 * libraries used on their own) every function records into nothing.
 *
 * Labels are bounded: never a conversation, intent or phone number. A `tenant` label is added
 * only with `METRICS_TENANT_LABEL=true` (one series per tenant: fine for a few hundred tenants).
 */
import { type Attributes, type Histogram, type Meter, metrics, type ObservableResult } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

/**
 * The Prometheus names of Switchboard's instruments (what `GET /metrics` shows; histograms add
 * `_bucket`, `_sum`, `_count`). OTLP carries the same names (counters without `_total`).
 */
export const MetricNames = {
  /**
   * Histogram, seconds: a tool call accepted → its result. Labels `agent`, `action`,
   * `outcome` (`succeeded|failed|cancelled`), `error_code` (empty when it succeeded).
   */
  actionDuration: 'switchboard_action_duration_seconds',
  /**
   * Histogram, seconds: accepted → the first event a voice runtime could speak (`progress` or
   * `respond`). Labels `agent`, `action`. Runs that never said anything before the end are not
   * counted.
   */
  actionFirstEvent: 'switchboard_action_first_event_seconds',
  /**
   * Histogram, seconds: one HTTP request to a provider. Labels `provider`
   * (`calcom|twilio|hubspot|webhook`), `operation`, and `status_code` (the HTTP status) or
   * `error_type` (`timeout|unavailable|…` when no response came).
   */
  providerRequestDuration: 'switchboard_provider_request_duration_seconds',
  /** Counter: provider activity attempts after the first (Temporal retries). Labels `provider`, `operation`. */
  providerRetries: 'switchboard_provider_retries_total',
  /**
   * Gauge: intents and inbound webhooks not yet handled by the orchestrator, per JetStream
   * `stream` and `state` (`backlog`: not delivered yet, `ack_pending`: delivered, not done).
   */
  intentsPending: 'switchboard_intents_pending',
  /** Gauge: confirmations asked and not yet answered, as this orchestrator replica saw them. */
  confirmationsWaiting: 'switchboard_confirmations_waiting',
  /** Gauge: booking lifecycle workflows running (Temporal visibility count). */
  bookingLifecyclesActive: 'switchboard_booking_lifecycles_active',
  /** Gauge: runs still `accepted`/`running` after their deadline (see `GET /v1/runs?status=stuck`). */
  runsStuck: 'switchboard_runs_stuck',
  /** Gauge: stored credentials per `provider` and `status` (`unchecked|ok|auth_failed`). */
  credentialStatus: 'switchboard_credential_status',
  /**
   * Histogram, seconds: HTTP requests served by the conversation service, labels per the OTel
   * HTTP semantic conventions: `http_route`, `http_request_method`, `http_response_status_code`.
   */
  httpServerRequestDuration: 'http_server_request_duration_seconds',
} as const;

/** Every Prometheus name of {@link MetricNames}, for the rules and dashboard checks. */
export const METRIC_NAMES: readonly string[] = Object.values(MetricNames);

/** Seconds: from a fast provider answer to a confirmation wait of minutes. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** A value observed for a gauge, with its labels. */
export interface GaugeObservation {
  value: number;
  labels?: Record<string, string>;
}

/** The gauges a service can report through {@link observeGauge}. */
export type GaugeName =
  | typeof MetricNames.intentsPending
  | typeof MetricNames.confirmationsWaiting
  | typeof MetricNames.bookingLifecyclesActive
  | typeof MetricNames.runsStuck
  | typeof MetricNames.credentialStatus;

const GAUGE_HELP: Record<GaugeName, string> = {
  [MetricNames.intentsPending]:
    'Intents and inbound webhooks waiting in JetStream (backlog) or in handling (ack_pending)',
  [MetricNames.confirmationsWaiting]: 'Confirmations asked and not yet answered',
  [MetricNames.bookingLifecyclesActive]: 'Booking lifecycle workflows running',
  [MetricNames.runsStuck]: 'Runs not terminal after their deadline',
  [MetricNames.credentialStatus]: 'Stored credentials per provider and status',
};

interface Instruments {
  tenantLabel: boolean;
  actionDuration: Histogram;
  actionFirstEvent: Histogram;
  providerRequest: Histogram;
  providerRetries: ReturnType<Meter['createCounter']>;
  httpServer: Histogram;
  gauges: Map<GaugeName, ReturnType<Meter['createObservableGauge']>>;
}

function createInstruments(meter: Meter, tenantLabel: boolean): Instruments {
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  return {
    tenantLabel,
    actionDuration: histogram(MetricNames.actionDuration, 'Tool call accepted to result'),
    actionFirstEvent: histogram(MetricNames.actionFirstEvent, 'Tool call accepted to its first speakable event'),
    providerRequest: histogram(MetricNames.providerRequestDuration, 'One HTTP request to a provider'),
    providerRetries: meter.createCounter(MetricNames.providerRetries.replace(/_total$/, ''), {
      description: 'Provider activity attempts after the first',
    }),
    httpServer: histogram(MetricNames.httpServerRequestDuration, 'HTTP requests served'),
    gauges: new Map(
      (Object.keys(GAUGE_HELP) as GaugeName[]).map((name) => [
        name,
        meter.createObservableGauge(name, { description: GAUGE_HELP[name] }),
      ]),
    ),
  };
}

let current: Instruments = createInstruments(metrics.getMeter('switchboard-noop'), false);

function withTenant(labels: Attributes, tenant: string | undefined): Attributes {
  return current.tenantLabel && tenant ? { ...labels, tenant } : labels;
}

/** A finished run, for {@link recordActionOutcome}. */
export interface ActionOutcome {
  agent: string;
  action: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  errorCode?: string;
  tenant?: string;
  durationMs: number;
  /** Accepted → first `progress`/`respond` event, when there was one. */
  firstEventMs?: number;
}

/** Records a run's end: {@link MetricNames.actionDuration} and {@link MetricNames.actionFirstEvent}. */
export function recordActionOutcome(o: ActionOutcome): void {
  const base = { agent: o.agent, action: o.action };
  current.actionDuration.record(
    Math.max(0, o.durationMs) / 1000,
    withTenant({ ...base, outcome: o.outcome, error_code: o.errorCode ?? '' }, o.tenant),
  );
  if (o.firstEventMs !== undefined) {
    current.actionFirstEvent.record(Math.max(0, o.firstEventMs) / 1000, withTenant(base, o.tenant));
  }
}

/** Records one provider HTTP request: its status code, or the kind of error when none came. */
export function recordProviderRequest(r: {
  provider: string;
  operation: string;
  durationMs: number;
  statusCode?: number;
  errorType?: string;
}): void {
  const outcome: Attributes =
    r.statusCode !== undefined ? { status_code: String(r.statusCode) } : { error_type: r.errorType ?? 'error' };
  current.providerRequest.record(Math.max(0, r.durationMs) / 1000, {
    provider: r.provider,
    operation: r.operation,
    ...outcome,
  });
}

/** Counts a provider activity attempt after the first. */
export function recordProviderRetry(r: { provider: string; operation: string; tenant?: string }): void {
  current.providerRetries.add(1, withTenant({ provider: r.provider, operation: r.operation }, r.tenant));
}

/** Records one served HTTP request (route template, never the raw path). */
export function recordHttpServerRequest(r: {
  route: string;
  method: string;
  status: number;
  durationMs: number;
}): void {
  current.httpServer.record(Math.max(0, r.durationMs) / 1000, {
    http_route: r.route,
    http_request_method: r.method,
    http_response_status_code: r.status,
  });
}

/**
 * Reports a gauge at every collection (each scrape or OTLP push) from `observe`. A failing
 * `observe` reports nothing for that collection and is handed to `onError`. Returns a function
 * that stops observing.
 */
export function observeGauge(
  name: GaugeName,
  observe: () => Promise<GaugeObservation[]> | GaugeObservation[],
  onError?: (err: unknown) => void,
): () => void {
  const gauge = current.gauges.get(name);
  if (!gauge) throw new Error(`unknown gauge ${name}`);
  const callback = async (result: ObservableResult) => {
    try {
      for (const o of await observe()) {
        const labels = { ...o.labels };
        if (!current.tenantLabel) delete labels.tenant;
        result.observe(o.value, labels);
      }
    } catch (err) {
      onError?.(err);
    }
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}

/** True when gauges may carry a `tenant` label (`METRICS_TENANT_LABEL=true`). */
export function tenantLabelEnabled(): boolean {
  return current.tenantLabel;
}

/** What {@link initMetrics} set up. */
export interface Metrics {
  /**
   * The Prometheus text exposition of every instrument, followed by `extra` sources (the
   * Temporal SDK's worker metrics). Content type: {@link PROMETHEUS_CONTENT_TYPE}.
   */
  text(): Promise<string>;
  /**
   * Adds a source appended to {@link Metrics.text}: a whole Prometheus exposition of its own
   * (e.g. the Temporal SDK's). A source that fails is left out of that scrape.
   */
  addSource(source: () => Promise<string>): void;
  /** True when metrics are also pushed over OTLP. */
  exporting: boolean;
  /** Pushes what is left and stops. */
  shutdown(): Promise<void>;
}

/** The content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Sets up metrics for one service process: a Prometheus reader for `GET /metrics` and, when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._METRICS_ENDPOINT`) is set, an OTLP/HTTP push every
 * `OTEL_METRIC_EXPORT_INTERVAL` ms (the SDK's default, 60 s). Reads `METRICS_TENANT_LABEL`.
 */
export function initMetrics(resource: Resource, env: NodeJS.ProcessEnv = process.env): Metrics {
  const extra: (() => Promise<string>)[] = [];
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: MetricReader[] = [prometheus];
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  if (exporting) {
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        ...(Number.isFinite(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}),
      }),
    );
  }
  const provider = new MeterProvider({ resource, readers });
  current = createInstruments(provider.getMeter('switchboard'), env.METRICS_TENANT_LABEL === 'true');
  const serializer = new PrometheusSerializer('', false);
  return {
    exporting,
    async text() {
      const { resourceMetrics } = await prometheus.collect();
      const parts = [serializer.serialize(resourceMetrics)];
      for (const source of extra) parts.push(await source().catch(() => ''));
      return parts.map((p) => (p === '' || p.endsWith('\n') ? p : `${p}\n`)).join('');
    },
    addSource: (source) => void extra.push(source),
    shutdown: () => provider.shutdown(),
  };
}
