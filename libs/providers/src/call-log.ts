/**
 * The attempt log of provider operations (`provider_calls`), which `GET /v1/stats` reads per
 * provider and operation. It is written here, around every activity of every provider worker
 * (`runProviderWorker` wraps them all), rather than inside each client: one place for the four
 * workers, including the webhook worker, which sends with its own hardened HTTP stack.
 *
 * Rows are buffered and written in batches, so an attempt costs no database round trip; a
 * batch that cannot be written is retried with the next, and the buffer is bounded (the oldest
 * rows go first when the database is away for long). Statistics may thus miss a few seconds of
 * attempts after a crash; the runs themselves never depend on this log. Every worker also
 * prunes rows older than the retention (default 48 h, twice the widest stats window).
 */
import { SwitchboardError } from '@switchboard/common';
import type { ProviderName } from '@switchboard/contracts';
import { type ProviderCallRecord, pruneProviderCalls, type Queryable, recordProviderCalls } from '@switchboard/db';
import { recordProviderRetry } from '@switchboard/telemetry';
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ProviderError } from './errors.js';

/** Options of {@link ProviderCallLog}. */
export interface ProviderCallLogOptions {
  /** How often buffered attempts are written. Default 1 s. */
  flushEveryMs?: number;
  /** Most attempts kept while the database cannot be written. Default 50,000. */
  maxBuffered?: number;
  /** Attempts older than this are deleted (`PROVIDER_CALLS_RETENTION_HOURS`). Default 48 h. */
  retentionMs?: number;
  /** How often old attempts are deleted. Default 10 minutes. */
  pruneEveryMs?: number;
  /** A write or prune that failed (it is retried). */
  onError?: (err: unknown, what: 'write' | 'prune') => void;
}

/** Default retention of the attempt log: twice the widest stats window. */
export const PROVIDER_CALLS_RETENTION_MS = 48 * 3_600_000;

/** Buffers provider attempts and writes them in batches; see the module comment. */
export class ProviderCallLog {
  private buffer: ProviderCallRecord[] = [];
  private flushing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly options: Required<Omit<ProviderCallLogOptions, 'onError'>> & Pick<ProviderCallLogOptions, 'onError'>;
  /** Attempts dropped because the buffer was full. */
  dropped = 0;

  constructor(
    private readonly db: Queryable,
    options: ProviderCallLogOptions = {},
  ) {
    this.options = {
      flushEveryMs: options.flushEveryMs ?? 1_000,
      maxBuffered: options.maxBuffered ?? 50_000,
      retentionMs: options.retentionMs ?? PROVIDER_CALLS_RETENTION_MS,
      pruneEveryMs: options.pruneEveryMs ?? 600_000,
      ...(options.onError ? { onError: options.onError } : {}),
    };
  }

  /** Starts the periodic write and prune (timers that do not keep the process alive). */
  start(): void {
    const flush = setInterval(() => void this.flush(), this.options.flushEveryMs);
    const prune = setInterval(() => void this.prune(), this.options.pruneEveryMs);
    flush.unref();
    prune.unref();
    this.timers.push(flush, prune);
  }

  record(call: ProviderCallRecord): void {
    this.buffer.push(call);
    const over = this.buffer.length - this.options.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.dropped += over;
    }
  }

  /** Writes what is buffered (one write at a time; a failed batch goes back to the buffer). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = (async () => {
      try {
        await recordProviderCalls(this.db, batch);
      } catch (err) {
        this.buffer = [...batch, ...this.buffer];
        const over = this.buffer.length - this.options.maxBuffered;
        if (over > 0) {
          this.buffer.splice(0, over);
          this.dropped += over;
        }
        this.options.onError?.(err, 'write');
      } finally {
        this.flushing = undefined;
      }
    })();
    await this.flushing;
  }

  /** Deletes attempts older than the retention. */
  async prune(): Promise<void> {
    try {
      await pruneProviderCalls(this.db, this.options.retentionMs);
    } catch (err) {
      this.options.onError?.(err, 'prune');
    }
  }

  /** Stops the timers and writes what is left. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.flush();
  }
}

/** The operation an activity stands for: its type, except `callWebhook`, a `webhook` step. */
export function activityOperation(activityType: string): string {
  return activityType === 'callWebhook' ? 'webhook' : activityType;
}

/** The stable code and HTTP status of a failed attempt, from whatever it threw. */
export function failureOf(err: unknown): { errorCode: string; httpStatus?: number } {
  if (err instanceof ProviderError) {
    return { errorCode: err.code, ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}) };
  }
  if (err instanceof SwitchboardError) return { errorCode: err.code };
  if (err instanceof ApplicationFailure) return { errorCode: err.type ?? 'internal' };
  return { errorCode: 'internal' };
}

/**
 * Wraps every activity so that each attempt is recorded in `log` (and each retry counted in
 * `switchboard_provider_retries_total`): its provider (the worker's),
 * operation, tenant (from the call's `tenantId`), start, duration, attempt number, and outcome.
 * Wrap inside the failure mapping, so the provider's own error (with its HTTP status) is seen.
 */
export function withCallLog<A extends Record<string, (call: never) => Promise<unknown>>>(
  activities: A,
  log: ProviderCallLog,
  provider: ProviderName,
): A {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => {
      const operation = activityOperation(name);
      const wrapped = async (call: never) => {
        const atMs = Date.now();
        const attempt = asyncLocalStorage.getStore()?.info.attempt ?? 1;
        const tenantId = (call as { tenantId?: unknown } | undefined)?.tenantId;
        if (attempt > 1) {
          recordProviderRetry({ provider, operation, ...(typeof tenantId === 'string' ? { tenant: tenantId } : {}) });
        }
        const note = (outcome: Pick<ProviderCallRecord, 'ok' | 'errorCode' | 'httpStatus'>) => {
          if (typeof tenantId !== 'string') return;
          log.record({ tenantId, provider, operation, atMs, durationMs: Date.now() - atMs, attempt, ...outcome });
        };
        try {
          const result = await fn(call);
          note({ ok: true });
          return result;
        } catch (err) {
          note({ ok: false, ...failureOf(err) });
          throw err;
        }
      };
      return [name, wrapped];
    }),
  ) as A;
}
