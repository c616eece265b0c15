import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@switchboard/telemetry';
import type { Vapi } from '@vapi-ai/server-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from './errors.js';
import { createProviderHttp } from './http.js';
import {
  sendVapiControl,
  vapiAddMessage,
  vapiControlUrlProblem,
  vapiEndCall,
  vapiSay,
  vapiTransfer,
} from './vapi-control.js';

const http = createProviderHttp({ tracer: trace.getTracer('vapi-control-test') });
const LOCAL = ['127.0.0.1'];

/** A control URL that answers the next queued status (200 when none) and records bodies. */
let server: Server;
let base: string;
let answers: number[] = [];
let received: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? '' : JSON.stringify({ message: `status ${status}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  answers = [];
  received = [];
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('request bodies', () => {
  it('are the SDK client inbound messages', () => {
    // Assignability to the SDK's union is the type check; the values are what Vapi documents.
    const bodies: Vapi.ClientInboundMessageMessage[] = [
      vapiEndCall(),
      vapiSay('Goodbye.', true),
      vapiAddMessage('The booking is confirmed.', { triggerResponseEnabled: true }),
      vapiTransfer({ kind: 'phone', address: '+15551230000' }, { content: 'Transferring you now.' }),
      vapiTransfer(
        { kind: 'sip', address: 'sip:desk@example.com' },
        { content: '', whisper: 'A caller about billing.' },
      ),
    ];
    expect(bodies).toEqual([
      { type: 'end-call' },
      { type: 'say', content: 'Goodbye.', endCallAfterSpoken: true },
      {
        type: 'add-message',
        message: { role: 'system', content: 'The booking is confirmed.' },
        triggerResponseEnabled: true,
      },
      {
        type: 'transfer',
        destination: { type: 'number', number: '+15551230000', transferPlan: { mode: 'blind-transfer' } },
        content: 'Transferring you now.',
      },
      {
        type: 'transfer',
        destination: {
          type: 'sip',
          sipUri: 'sip:desk@example.com',
          transferPlan: { mode: 'warm-transfer-say-message', message: 'A caller about billing.' },
        },
      },
    ]);
  });
});

describe('control URLs', () => {
  it('are https on a Vapi host unless a loopback host is allowed explicitly', () => {
    const url = 'https://phone-call-websocket.aws-us-west-2-backend-production1.vapi.ai/0b2c/control';
    expect(vapiControlUrlProblem(url)).toBeUndefined();
    expect(vapiControlUrlProblem('http://phone.vapi.ai/0b2c/control')).toMatch(/must be https/);
    expect(vapiControlUrlProblem('https://vapi.ai.evil.example/x')).toMatch(/not an allowed Vapi host/);
    expect(vapiControlUrlProblem('https://evilvapi.ai/x')).toMatch(/not an allowed Vapi host/);
    expect(vapiControlUrlProblem('http://127.0.0.1:9/x')).toMatch(/not an allowed Vapi host/);
    expect(vapiControlUrlProblem('http://127.0.0.1:9/x', LOCAL)).toBeUndefined();
    expect(vapiControlUrlProblem('/relative')).toMatch(/not an absolute URL/);
  });
});

describe('sendVapiControl', () => {
  it('posts the body as JSON and resolves on 2xx', async () => {
    const answer = await sendVapiControl(`${base}/call-1/control`, vapiEndCall(), { http, allowedHosts: LOCAL });
    expect(answer.status).toBe(200);
    expect(received).toEqual([{ type: 'end-call' }]);
  });

  it('fails retryably on 5xx and 429', async () => {
    answers = [503, 429];
    const unavailable = await failure(sendVapiControl(`${base}/c`, vapiEndCall(), { http, allowedHosts: LOCAL }));
    expect([unavailable.code, unavailable.retryable, unavailable.httpStatus]).toEqual([
      'provider_unavailable',
      true,
      503,
    ]);
    const limited = await failure(sendVapiControl(`${base}/c`, vapiEndCall(), { http, allowedHosts: LOCAL }));
    expect([limited.code, limited.retryable]).toEqual(['provider_rate_limited', true]);
  });

  it('fails permanently with call_control_refused on any other 4xx', async () => {
    for (const status of [400, 401, 404, 409]) {
      answers = [status];
      const err = await failure(sendVapiControl(`${base}/c`, vapiSay('Bye', true), { http, allowedHosts: LOCAL }));
      expect([err.code, err.retryable, err.httpStatus]).toEqual(['call_control_refused', false, status]);
      expect(err.message).toContain(`'say' control request (${status}`);
    }
  });

  it('fails retryably when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(
      sendVapiControl(`http://127.0.0.1:${port}/c`, vapiEndCall(), { http, allowedHosts: LOCAL }),
    );
    expect([err.code, err.retryable]).toEqual(['provider_unavailable', true]);
  });

  it('sends nothing to a URL that is not an allowed Vapi host', async () => {
    const err = await failure(sendVapiControl(`${base}/c`, vapiEndCall(), { http }));
    expect([err.code, err.retryable]).toEqual(['control_url_refused', false]);
    expect(received).toEqual([]);
  });
});
