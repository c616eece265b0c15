import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, retryOnEarlyExit, waitFor } from './ports.js';
import { type ManagedProcess, spawnManaged } from './process.js';
import { findJaeger } from './tools.js';

/** The ports a Jaeger of the stack listens on, all on 127.0.0.1. */
export interface JaegerPorts {
  /** OTLP over HTTP (`/v1/traces`): where the services export. */
  otlpHttp: number;
  /** The query service: UI and HTTP API (`/api/traces/:id`, `/api/v3/…`). */
  query: number;
  /** The query service's gRPC API (it always listens; it gets a free port like the rest). */
  queryGrpc: number;
}

/**
 * Jaeger v2's configuration (an OpenTelemetry collector's): OTLP/HTTP in, in-memory storage,
 * the query service, and nothing else. Every listener is on loopback and on the given ports;
 * what Jaeger's all-in-one default would open besides (OTLP gRPC 4317, Jaeger and Zipkin
 * receivers, sampling 5778/5779, health 13133, expvar, zpages, its own metrics on 8888) is not
 * configured, so two stacks never fight over a fixed port.
 */
export function jaegerConfig(ports: JaegerPorts, maxTraces = 10_000): Record<string, unknown> {
  const local = (port: number) => `127.0.0.1:${port}`;
  const store = 'memory_store';
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      pipelines: { traces: { receivers: ['otlp'], processors: [], exporters: ['jaeger_storage_exporter'] } },
      // `none`: no meter provider, hence no Prometheus endpoint of Jaeger's own.
      telemetry: { metrics: { level: 'none' }, logs: { level: 'warn', encoding: 'json' } },
    },
    extensions: {
      // Bounded: the oldest traces are dropped past it (a long dev session or a benchmark).
      jaeger_storage: { backends: { [store]: { memory: { max_traces: maxTraces } } } },
      jaeger_query: {
        storage: { traces: store },
        // Jaeger would otherwise trace its own queries.
        enable_tracing: false,
        http: { endpoint: local(ports.query) },
        grpc: { endpoint: local(ports.queryGrpc) },
      },
    },
    receivers: { otlp: { protocols: { http: { endpoint: local(ports.otlpHttp) } } } },
    exporters: { jaeger_storage_exporter: { trace_storage: store } },
  };
}

/** Options of {@link startJaeger}. */
export interface JaegerOptions {
  /** The binary; {@link findJaeger}'s when absent (then a missing one is an error). */
  bin?: string;
  logDir?: string;
  /** Port of the UI and query API; a free one when absent. Kept across retries. */
  queryPort?: number;
  /** Traces kept in memory. Default 10,000. */
  maxTraces?: number;
}

/** A running Jaeger all-in-one with in-memory storage. */
export interface JaegerServer {
  /** Base URL of the UI and the query API, e.g. `http://127.0.0.1:16686`. */
  url: string;
  /** For `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP/HTTP; the exporter appends `/v1/traces`). */
  otlpEndpoint: string;
  /**
   * Where one trace is shown, `{traceId}` in place of its id (for `TRACE_URL_TEMPLATE`): the UI's
   * trace page, or, when the binary has no UI, the trace's JSON from the query API.
   */
  traceUrlTemplate: string;
  /**
   * Whether the binary serves the Jaeger UI. A build from the Go module has none: the UI's
   * assets come from another repository's JavaScript build, which a release binary embeds.
   */
  ui: boolean;
  /**
   * The pinned version, e.g. `v1.75.0` (a build from the Go module does not know its own), or
   * where another binary came from (`JAEGER_BIN`, `bin`).
   */
  version: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts Jaeger on loopback with a configuration of its own (see {@link jaegerConfig}) and waits
 * until both the query API and the OTLP receiver answer; again on fresh ports if it exited first.
 */
export function startJaeger(options: JaegerOptions = {}): Promise<JaegerServer> {
  return retryOnEarlyExit(() => startJaegerOnce(options));
}

async function startJaegerOnce(options: JaegerOptions): Promise<JaegerServer> {
  const found = options.bin !== undefined ? { path: options.bin, version: 'bin' } : findJaeger();
  if (!('path' in found)) throw new Error(found.missing);
  const ports: JaegerPorts = {
    otlpHttp: await freePort(),
    query: options.queryPort ?? (await freePort()),
    queryGrpc: await freePort(),
  };
  // Beside the log when there is one (to see what Jaeger was given), else in a temporary folder.
  // JSON is YAML: the collector reads it as its YAML configuration.
  const dir = options.logDir ?? mkdtempSync(join(tmpdir(), 'switchboard-jaeger-'));
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'jaeger.yaml');
  writeFileSync(configFile, `${JSON.stringify(jaegerConfig(ports, options.maxTraces), null, 2)}\n`);
  const proc = spawnManaged({
    name: 'jaeger',
    command: found.path,
    args: [`--config=${configFile}`],
    ...(options.logDir ? { logFile: join(options.logDir, 'jaeger.log') } : {}),
  });
  if (options.logDir === undefined) void proc.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${ports.query}`;
  const otlpEndpoint = `http://127.0.0.1:${ports.otlpHttp}`;
  let home = '';
  try {
    await waitFor(
      `jaeger on ${url}`,
      async () => {
        // Extensions (the query service) start before the receivers: wait for both. Both
        // answering also means both are ours: a Jaeger that lost one port to another process
        // exits, and another process holding both of them is not a risk worth a check.
        const query = await fetch(`${url}/api/services`, { signal: AbortSignal.timeout(2_000) });
        if (!query.ok) return false;
        const otlp = await fetch(`${otlpEndpoint}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"resourceSpans":[]}',
          signal: AbortSignal.timeout(2_000),
        });
        if (!otlp.ok) return false;
        home = await (await fetch(`${url}/`, { signal: AbortSignal.timeout(2_000) })).text();
        return true;
      },
      { isAlive: () => proc.alive(), timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (err) {
    await proc.stop().catch(() => {});
    throw err;
  }
  // Without its assets, Jaeger serves a placeholder page saying the UI was not compiled in.
  const ui = !home.includes('not compiled with the UI assets');
  return {
    url,
    otlpEndpoint,
    traceUrlTemplate: ui ? `${url}/trace/{traceId}` : `${url}/api/traces/{traceId}`,
    ui,
    version: found.version,
    process: proc,
    stop: () => proc.stop(),
  };
}

/**
 * Starts Jaeger when it is installed; otherwise, or when it fails to start, says why in one
 * line instead of throwing: the stack runs without a trace backend (the dev stack's choice).
 */
export async function startJaegerIfInstalled(
  options: Omit<JaegerOptions, 'bin'> = {},
): Promise<{ jaeger: JaegerServer } | { missing: string }> {
  const found = findJaeger();
  if (!('path' in found)) return found;
  try {
    return { jaeger: await startJaeger(options) };
  } catch (err) {
    const log = options.logDir ? `; see ${join(options.logDir, 'jaeger.log')}` : '';
    return { missing: `Jaeger did not start: ${(err as Error).message}${log}` };
  }
}
