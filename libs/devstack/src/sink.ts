import { createServer, type IncomingHttpHeaders } from 'node:http';

/** A request the sink received. */
export interface SinkRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  receivedAt: number;
}

/** A fault the sink injects into the next `count` requests. */
export interface SinkFault {
  /** HTTP status to answer with (e.g. 500, 429). */
  status: number;
  count: number;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  /** Delay before answering, in ms. */
  delayMs?: number;
}

/** A running webhook sink. */
export interface Sink {
  url: string;
  port: number;
  requests(): SinkRequest[];
  clear(): void;
  fault(f: SinkFault): void;
  /**
   * From now on, requests wait unanswered (a slow endpoint a test controls: a chain is held at
   * a known step for as long as the test needs, with no timing involved) until {@link Sink.release}.
   */
  hold(): void;
  /**
   * Answers every request waiting so far, as it would have been answered; stops holding unless
   * `keepHolding` (then the next request waits again). Returns how many were answered.
   */
  release(options?: { keepHolding?: boolean }): number;
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint that records what it receives: the dev stack's `meal_log` webhook and
 * the tests' witness that a webhook fired (and how many times). Answers `200 {"ok":true}`,
 * or an injected fault, or holds it until released. `GET /_sink/requests` lists what it got;
 * `DELETE` clears; `POST /_sink/fault` sets a fault.
 */
export async function startSink(port = 0): Promise<Sink> {
  let received: SinkRequest[] = [];
  let fault: SinkFault | undefined;
  let holding = false;
  const held: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw === '' ? null : JSON.parse(raw);
      } catch {
        // Keep the raw text.
      }
      const path = req.url ?? '/';
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (path.startsWith('/_sink/')) {
        if (path === '/_sink/requests' && req.method === 'GET') return json(200, received);
        if (path === '/_sink/requests' && req.method === 'DELETE') {
          received = [];
          return json(200, { ok: true });
        }
        if (path === '/_sink/fault' && req.method === 'POST') {
          fault = body as SinkFault;
          return json(200, { ok: true });
        }
        return json(404, { error: 'unknown sink route' });
      }
      received.push({ method: req.method ?? 'GET', path, headers: req.headers, body, receivedAt: Date.now() });
      const active = fault && fault.count > 0 ? fault : undefined;
      if (active) active.count--;
      const answer = () => {
        if (active) {
          return json(
            active.status,
            { error: 'injected fault' },
            active.retryAfter !== undefined ? { 'retry-after': String(active.retryAfter) } : {},
          );
        }
        return json(200, { ok: true, id: received.length });
      };
      const answerNow = () => {
        if (active?.delayMs) setTimeout(answer, active.delayMs);
        else answer();
      };
      if (holding) held.push(answerNow);
      else answerNow();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests: () => [...received],
    clear: () => {
      received = [];
    },
    fault: (f) => {
      fault = { ...f };
    },
    hold: () => {
      holding = true;
    },
    release: (options = {}) => {
      holding = options.keepHolding === true;
      const waiting = held.splice(0);
      for (const answer of waiting) answer();
      return waiting.length;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
