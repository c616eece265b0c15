import { type AddressInfo, createServer } from 'node:net';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, type LogLevel, Runtime, type WorkerOptions } from '@temporalio/worker';
import type { Metrics } from './metrics.js';

/**
 * Worker options that continue traces through Temporal: activity spans parented by the context
 * the workflow put in the activity headers (`_tracer-data`). Workflows do not run the
 * OpenTelemetry SDK (see `trace-context.ts` in @switchboard/chains for why); the spans they stand
 * for are recorded by the orchestrator with `Telemetry.recordSpan`. Spread into
 * `Worker.create`.
 */
export function temporalWorkerTracing(): Pick<WorkerOptions, 'interceptors'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
  };
}

/** Client interceptor that puts the active trace context into the headers of Temporal calls. */
export function temporalClientInterceptor(): OpenTelemetryWorkflowClientInterceptor {
  return new OpenTelemetryWorkflowClientInterceptor();
}

/** The levels of a pino logger the SDK's log entries go to. */
type LevelLogger = { level: string } & Record<
  'trace' | 'debug' | 'info' | 'warn' | 'error',
  (obj: object, msg: string) => void
>;

const TEMPORAL_LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Installs the Temporal SDK runtime for a service process:
 * - its log entries (the SDK's and Core's) go to the service's logger, so they are JSON lines
 *   like every other (the SDK's default writes plain text to the console);
 * - its Prometheus exporter (task latency, slots, sticky cache, …: the SDK's own `temporal_*`
 *   worker metrics) listens on a loopback port of its own, and what it serves is appended to
 *   `metrics`, so it appears on the service's `GET /metrics`. Its `target_info` family is
 *   dropped: ours already describes the process.
 * Call once per process, before the first `NativeConnection.connect` (the runtime is installed
 * once).
 */
export async function installTemporalRuntime(metrics: Metrics, log: LevelLogger): Promise<void> {
  const port = await loopbackPort();
  Runtime.install({
    logger: new DefaultLogger(TEMPORAL_LEVELS[log.level] ?? 'INFO', (entry) => {
      const level = entry.level.toLowerCase() as keyof typeof TEMPORAL_LEVELS;
      const write = level in TEMPORAL_LEVELS && level !== 'fatal' && level !== 'silent' ? level : 'info';
      log[write as 'info']({ ...entry.meta, temporal: true }, entry.message);
    }),
    telemetryOptions: {
      metrics: {
        prometheus: {
          bindAddress: `127.0.0.1:${port}`,
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
        },
      },
    },
  });
  metrics.addSource(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return '';
    return withoutFamily(await res.text(), 'target_info');
  });
}

/** The lines of an exposition without one metric family. */
function withoutFamily(text: string, family: string): string {
  return text
    .split('\n')
    .filter((line) => {
      const name = line.startsWith('#') ? line.split(' ')[2] : line.split(/[{ ]/)[0];
      return name !== family;
    })
    .join('\n');
}

/** A loopback port free right now (the runtime binds it a moment later). */
function loopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The part of a Temporal connection (client or worker) {@link temporalProbe} uses. */
export interface TemporalServiceConnection {
  workflowService: { getSystemInfo(request: object): Promise<unknown> };
}

/**
 * A readiness probe of the Temporal frontend (`/readyz`, see `checkReadiness` in
 * @switchboard/common): one cheap `GetSystemInfo` call over the process's own connection.
 */
export function temporalProbe(connection: TemporalServiceConnection): () => Promise<unknown> {
  return () => connection.workflowService.getSystemInfo({});
}
