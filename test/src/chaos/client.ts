/**
 * The chaos test's API client: what a well-behaved caller does while processes die under it.
 * A tool call is retried with the SAME Idempotency-Key on connection errors, 5xx/429 and
 * 202 (the result did not arrive in time), until the API answers with a terminal result — so
 * every retry exercises the server's exactly-once path.
 */

/** A JSON response. */
export interface ChaosResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are checked by the caller
  body: any;
}

/** Where the API is and how long the caller keeps trying. */
export interface ChaosClientOptions {
  /**
   * The API, or its replicas (cluster mode): requests go to them in turn, so a call's retry
   * reaches another replica than the one that failed it, and a conversation's calls are spread
   * over all of them.
   */
  apiUrls: readonly string[];
  apiKey: string;
  /** Wall-clock time (ms since the epoch) after which the caller gives up. */
  deadline: number;
  /** One request's own timeout (a hung connection counts as a connection error). */
  requestTimeoutMs?: number;
}

/** Counters the client keeps over all its calls. */
export interface ClientStats {
  /** Requests sent again with the same key (after an error, a 5xx or a 202). */
  retries: number;
  /** Requests that failed without an HTTP answer (refused, reset, timed out). */
  connectionErrors: number;
  /** 5xx and 429 answers. */
  serverErrors: number;
  /** 202 answers (still running when the server stopped waiting). */
  accepted: number;
}

/** A tool call's end as the caller saw it. */
export interface ToolCallOutcome {
  /**
   * `gave_up`: no terminal answer before the deadline; `rejected`: a 4xx the caller cannot fix
   * by retrying; `accepted`: the API stored the call and answered 202 (only when the caller
   * asked to stop there, see {@link ChaosClient.toolCall}).
   */
  status: 'succeeded' | 'failed' | 'cancelled' | 'gave_up' | 'rejected' | 'accepted';
  /** The run id (intent id) the API reported, when it reported one. */
  id?: string;
  // biome-ignore lint/suspicious/noExplicitAny: the terminal response body
  body?: any;
  /** Requests sent for this call (1 when nothing went wrong). */
  attempts: number;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ChaosClient {
  readonly stats: ClientStats = { retries: 0, connectionErrors: 0, serverErrors: 0, accepted: 0 };
  /** Requests sent, for the turn of the API replicas. */
  private sent = 0;

  constructor(private readonly options: ChaosClientOptions) {
    if (options.apiUrls.length === 0) throw new Error('ChaosClient needs at least one API URL');
  }

  get deadline(): number {
    return this.options.deadline;
  }

  /** One request; throws on a connection error or a timeout (no HTTP answer). */
  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ChaosResponse> {
    const { apiUrls } = this.options;
    const apiUrl = apiUrls[this.sent++ % apiUrls.length] as string;
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.options.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 20_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // A proxy-style error page or a body cut by a crash: keep the text for the report.
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /**
   * Sends `method path` until an answer that is not a connection error, 5xx or 429, backing
   * off between attempts. For requests that are safe to repeat (reads, and setup whose
   * duplicates are harmless).
   */
  async retrying(method: string, path: string, body?: unknown): Promise<ChaosResponse> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      try {
        const res = await this.request(method, path, body);
        if (res.status < 500 && res.status !== 429) return res;
        this.stats.serverErrors++;
      } catch (err) {
        this.stats.connectionErrors++;
        if (Date.now() > this.options.deadline) throw err;
      }
      if (Date.now() > this.options.deadline) throw new Error(`${method} ${path}: no answer before the deadline`);
      await sleep(backoff(attempt));
    }
  }

  /**
   * A tool call, retried with the same Idempotency-Key until the API answers with a terminal
   * result (200), a 4xx, or the deadline passes. A 202 is followed by the same request again
   * (not only by polling the run), because that is the path a client with a timeout takes:
   * the server must recognise the key, not publish a second intent that runs, and answer
   * with the one run's result. With `untilAccepted`, a 202 ends the call (`accepted`): the
   * call is stored and will run, and the caller may send the conversation's next call while
   * this one is still in flight.
   */
  async toolCall(
    conversationId: string,
    name: string,
    args: Record<string, unknown>,
    key: string,
    options: { untilAccepted?: boolean } = {},
  ): Promise<ToolCallOutcome> {
    let id: string | undefined;
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > this.options.deadline) return { status: 'gave_up', attempts: attempt, ...(id ? { id } : {}) };
      if (attempt > 0) this.stats.retries++;
      let res: ChaosResponse;
      try {
        res = await this.request(
          'POST',
          `/v1/conversations/${conversationId}/tool-calls`,
          { name, arguments: args },
          { 'idempotency-key': key },
        );
      } catch {
        this.stats.connectionErrors++;
        await sleep(backoff(attempt));
        continue;
      }
      if (res.status === 200 && TERMINAL.has(res.body?.status)) {
        return { status: res.body.status, id: res.body.id, body: res.body, attempts: attempt + 1 };
      }
      if (res.status === 202) {
        this.stats.accepted++;
        id = res.body?.id ?? id;
        if (options.untilAccepted === true) {
          return { status: 'accepted', body: res.body, attempts: attempt + 1, ...(id ? { id } : {}) };
        }
        await sleep(250);
        continue;
      }
      if (res.status >= 500 || res.status === 429) {
        this.stats.serverErrors++;
        await sleep(backoff(attempt));
        continue;
      }
      return { status: 'rejected', body: res.body, attempts: attempt + 1, ...(id ? { id } : {}) };
    }
  }

  /** Polls `GET /v1/runs/:id` until the run is terminal; its last answer otherwise (undefined if none). */
  // biome-ignore lint/suspicious/noExplicitAny: the run body
  async runUntilTerminal(id: string, deadline: number): Promise<any> {
    let last: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.request('GET', `/v1/runs/${id}`);
        if (res.status === 200) {
          last = res.body;
          if (TERMINAL.has(res.body?.status)) return res.body;
        } else if (res.status === 404) last = { status: 'missing' };
      } catch {
        // The conversation service may be restarting; keep polling.
      }
      if (Date.now() > deadline) return last;
      await sleep(Math.min(1000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }
}

/** 100 ms, 200 ms, … capped at 2 s, with jitter so retries after a crash do not arrive in lockstep. */
function backoff(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
  return base / 2 + Math.random() * (base / 2);
}
