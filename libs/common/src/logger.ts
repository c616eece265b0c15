import { type Logger as PinoLogger, pino } from 'pino';

/** The structured logger every service uses (JSON lines on stdout). */
export type Logger = PinoLogger;

/**
 * Creates a service logger. The level comes from explicit configuration (`LOG_LEVEL`), never
 * from NODE_ENV. Secrets are redacted by key name wherever they appear in logged objects.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
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
  });
}
