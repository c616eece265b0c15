/**
 * A local stand-in for Vapi's Live Call Control URLs (`call.monitor.controlUrl`,
 * `POST /<call id>/control`): every request body is checked against the SDK's
 * `ClientInboundMessageMessage` ({@link vapiControlBodyProblems}); a valid one is answered
 * 200 and changes the call (`end-call`, a `say` with `endCallAfterSpoken` and a `transfer` end
 * the assistant's part of it), an invalid one 400 with the problems, a control request to a
 * call that is over 400 as well. Faults (5xx, 429, latency, dropped connections) come from the
 * shared {@link FaultPlan}. Every request is recorded with its verdict.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, FaultPlan, readBody, sendJson, sleep } from '../faults.js';
import { vapiControlBodyProblems } from './shape.js';

/** One control request as the stand-in received it. */
export interface VapiControlRequest {
  callId: string;
  /** The parsed body (the raw text when it was not JSON). */
  body: unknown;
  /** Why the body is not an SDK control message; empty when it is one. */
  problems: string[];
  /** What the stand-in answered (undefined: the connection was dropped). */
  status: number | undefined;
}

/** A call as the stand-in keeps it. */
export interface VapiSandboxCall {
  id: string;
  /** `in-progress`, `ended` (hung up) or `transferred`. */
  status: 'in-progress' | 'ended' | 'transferred';
  /** What was said through `say`, in order. */
  said: string[];
}

export interface VapiControlSandbox {
  /** Base URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** The control URL of a call (created on first use). */
  controlUrl(callId: string): string;
  requests(): VapiControlRequest[];
  call(callId: string): VapiSandboxCall | undefined;
  /** Injects a fault for the next matching requests (path prefix `/<call id>/`). */
  fault(fault: Fault): void;
  reset(): void;
  close(): Promise<void>;
}

const CONTROL_PATH = /^\/([^/]+)\/control$/;

/** Starts the stand-in on a free loopback port. */
export async function startVapiControlSandbox(): Promise<VapiControlSandbox> {
  const faults = new FaultPlan();
  const calls = new Map<string, VapiSandboxCall>();
  let recorded: VapiControlRequest[] = [];
  const callOf = (id: string): VapiSandboxCall => {
    let call = calls.get(id);
    if (!call) {
      call = { id, status: 'in-progress', said: [] };
      calls.set(id, call);
    }
    return call;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    const match = CONTROL_PATH.exec(path);
    if (req.method !== 'POST' || !match) return sendJson(res, 404, { message: 'Not Found' });
    const callId = decodeURIComponent(match[1] as string);
    const text = await readBody(req);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Recorded as text; the shape check says why it is wrong.
    }
    const entry: VapiControlRequest = { callId, body, problems: vapiControlBodyProblems(body), status: undefined };
    recorded.push(entry);
    const fault = faults.take('POST', path);
    if (fault?.delayMs !== undefined) await sleep(fault.delayMs);
    if (fault?.status !== undefined) {
      entry.status = fault.status;
      const headers: Record<string, string> =
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return sendJson(res, fault.status, { message: `injected ${fault.status}` }, headers);
    }
    if (entry.problems.length > 0) {
      entry.status = 400;
      return sendJson(res, 400, { message: entry.problems, error: 'Bad Request', statusCode: 400 });
    }
    const call = callOf(callId);
    if (call.status !== 'in-progress') {
      entry.status = 400;
      return sendJson(res, 400, { message: `call ${callId} is ${call.status}`, error: 'Bad Request' });
    }
    const message = body as { type: string; content?: string; endCallAfterSpoken?: boolean };
    if (message.type === 'say' && message.content !== undefined) call.said.push(message.content);
    if (message.type === 'end-call' || (message.type === 'say' && message.endCallAfterSpoken === true)) {
      call.status = 'ended';
    }
    if (message.type === 'transfer') call.status = 'transferred';
    if (fault?.dropAfterCommit) {
      req.socket.destroy();
      return;
    }
    entry.status = 200;
    sendJson(res, 200, {});
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    controlUrl: (callId) => `${url}/${encodeURIComponent(callId)}/control`,
    requests: () => [...recorded],
    call: (id) => calls.get(id),
    fault: (fault) => faults.add(fault),
    reset: () => {
      recorded = [];
      calls.clear();
      faults.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
