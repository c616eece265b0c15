import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Fault injection shared by every sandbox. A fault applies to the next `count` requests whose
 * method and path match (`pathPrefix`, default all), in order of arrival.
 */
export interface Fault {
  /** Answer with this status instead of handling the request (e.g. 500, 503, 429, 401). */
  status?: number;
  /** `Retry-After` seconds to send with the status. */
  retryAfterSeconds?: number;
  /** Delay before answering (or before dropping), in ms: latency or a timeout. */
  delayMs?: number;
  /**
   * Handle the request fully (state changes happen) and then destroy the connection without
   * answering: the client sees an error after the provider committed — the case that tests
   * idempotency of retries.
   */
  dropAfterCommit?: boolean;
  count?: number;
  method?: string;
  pathPrefix?: string;
}

/** Keeps a queue of faults and decides, per request, which one applies. */
export class FaultPlan {
  private faults: (Fault & { remaining: number })[] = [];
  /** Fixed latency added to every request (benchmarks: provider time). */
  latencyMs = 0;

  add(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
    this.latencyMs = 0;
  }

  /** Takes the first matching fault for this request, if any. */
  take(method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex(
      (f) => f.remaining > 0 && (f.method === undefined || f.method === method) && path.startsWith(f.pathPrefix ?? ''),
    );
    if (i < 0) return undefined;
    const fault = this.faults[i] as Fault & { remaining: number };
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(i, 1);
    return fault;
  }
}

/** Reads a request body as text (sandboxes accept small bodies only). */
export function readBody(req: IncomingMessage, limit = 1_048_576): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Sleeps; used for latency and timeout faults. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
