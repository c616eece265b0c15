import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { type DestinationStream, type LoggerOptions, type Logger as PinoLogger, pino, symbols } from 'pino';

/** The structured logger every service uses (JSON lines on stdout). */
export type Logger = PinoLogger;

/**
 * Span attributes copied onto every log line written while their span is active, under the
 * names a log line uses: how a line knows its tenant, conversation and intent without every
 * call site passing them.
 */
const SPAN_FIELDS: Readonly<Record<string, string>> = {
  'switchboard.tenant_id': 'tenant',
  'switchboard.conversation_id': 'conversation',
  'switchboard.intent_id': 'intent',
};

/**
 * What joins a log line to its trace: `trace_id` and `span_id` of the active span, and the
 * `tenant`, `conversation`, `intent` it carries as attributes (read from the SDK's span, whose
 * attributes the API does not expose). Fields the line or its logger's bindings already have
 * win: a request's logger is bound to the request's span (see the conversation service).
 */
export function traceFields(bindings = ''): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span || bindings.includes('"trace_id":')) return {};
  const ctx = span.spanContext();
  if (!trace.isSpanContextValid(ctx)) return {};
  const fields: Record<string, string> = { trace_id: ctx.traceId, span_id: ctx.spanId };
  const attributes = (span as { attributes?: Record<string, unknown> }).attributes;
  if (attributes) {
    for (const [attribute, field] of Object.entries(SPAN_FIELDS)) {
      const value = attributes[attribute];
      if (typeof value === 'string' && !bindings.includes(`"${field}":`)) fields[field] = value;
    }
  }
  return fields;
}

/** pino-pretty's module path when it is installed (it is optional: JSON is the format). */
function prettyTarget(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('pino-pretty');
  } catch {
    return undefined;
  }
}

/**
 * Creates a service logger: one JSON line per event on stdout, each joined to the active trace
 * (see {@link traceFields}). On a terminal, and only there, lines are pretty-printed when
 * pino-pretty is installed. The level comes from explicit configuration (`LOG_LEVEL`), never
 * from NODE_ENV. Secrets are redacted by key name wherever they appear in logged objects.
 */
export function createLogger(
  service: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  /** Where lines go instead of stdout (tests). */
  destination?: DestinationStream,
): Logger {
  const pretty = !destination && process.stdout.isTTY ? prettyTarget() : undefined;
  const chindings = symbols.chindingsSym;
  const options: LoggerOptions = {
    name: service,
    level,
    mixin: (_object, _level, logger) => traceFields((logger as unknown as Record<symbol, string>)[chindings]),
    redact: {
      paths: [
        '*.authorization',
        '*.Authorization',
        '*.password',
        '*.token',
        '*.apiKey',
        '*.secret',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: pretty } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Makes a crash a log line too: an exception or a rejection that nothing handled (a port taken
 * at start-up, say) is written as one `fatal` JSON line carrying the error, and the process exits
 * 1 — instead of Node's multi-line report on stderr, which no log reader can parse or join to the
 * service's other lines. On a terminal the error is also printed as Node would, for the person.
 */
export function exitOnUncaught(log: Logger): void {
  process.on('uncaughtException', (err, origin) => {
    log.fatal({ err, origin }, 'process failed: an error nothing handled');
    if (process.stderr.isTTY) console.error(err);
    process.exit(1);
  });
}
