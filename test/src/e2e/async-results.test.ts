import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VapiControlMessage } from '@switchboard/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../support/sse.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// Async results (issue 15, item 3): an action that may outlast the runtime's tool timeout
// answers at once, and its final result is delivered when the chain ends — on the event stream,
// and to the agent's result webhook as a signed POST with retries — also when the orchestrator
// restarts in between. A slow chain is a webhook call the sink holds until the test releases
// it: no test depends on how fast the machine is.
let stack: TestStack;
let receiver: Receiver;
let control: ControlStandIn;
const SECRET = 'whsec-async-results-test';

/** One POST the receiver got, and whether its signature verified over the raw body. */
interface Received {
  body: { type: string; run: { id: string; status: string; messages: string[]; outputs: Record<string, unknown> } };
  verified: boolean;
  attempt: string | undefined;
  idempotencyKey: string | undefined;
  answered: number;
}

interface Receiver {
  url: string;
  server: Server;
  received: Received[];
  /** Statuses to answer with, per run id, in order; 200 once they run out. */
  script: Map<string, number[]>;
}

/** Checks `X-Switchboard-Signature: t=<s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` as the README says. */
function verifies(header: string | undefined, raw: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=') as [string, string]));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', SECRET).update(`${parts.t}.${raw}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const script = new Map<string, number[]>();
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as Received['body'];
      const answered = script.get(body.run.id)?.shift() ?? 200;
      received.push({
        body,
        verified: verifies(req.headers['x-switchboard-signature'] as string | undefined, raw),
        attempt: req.headers['x-switchboard-delivery-attempt'] as string | undefined,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        answered,
      });
      res.writeHead(answered, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/results`, server, received, script };
}

/** A local stand-in for a Vapi call's Live Call Control URL: records bodies, answers scripted statuses. */
interface ControlStandIn {
  url: string;
  server: Server;
  received: { body: VapiControlMessage; answered: number }[];
  /** Statuses to answer with, in order; 200 once they run out. */
  script: number[];
}

async function startControlStandIn(): Promise<ControlStandIn> {
  const standIn: Omit<ControlStandIn, 'url'> = { server: createServer(), received: [], script: [] };
  standIn.server.on('request', (req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      const answered = standIn.script.shift() ?? 200;
      standIn.received.push({ body: JSON.parse(raw) as VapiControlMessage, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
  const { port } = standIn.server.address() as AddressInfo;
  return { ...standIn, url: `http://127.0.0.1:${port}/control` };
}

beforeAll(async () => {
  receiver = await startReceiver();
  control = await startControlStandIn();
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-async-')), {
    exportSpans: false,
    // The local stand-in for Vapi's control URL.
    serviceEnv: { VAPI_CONTROL_HOSTS: '127.0.0.1' },
  });
  await stack.api('PUT', '/v1/endpoints/reports', { url: `${stack.sink.url}/reports`, allow_private: true });
  expect(
    (await stack.api('PUT', '/v1/credentials/results_key', { provider: 'http', secret: { secret: SECRET } })).status,
  ).toBe(200);
  const saved = await stack.api('PUT', '/v1/agents/reporter', {
    instructions: "Use 'build_report' for reports and 'quick_lookup' for lookups.",
    result_webhook: { url: receiver.url, credential: 'results_key', allow_private: true },
    actions: [
      {
        name: 'build_report',
        description: 'Builds a report; takes a while.',
        async: true,
        target: 'webhook://reports',
        inputs: { topic: { type: 'string', description: 'Report topic', is_required: true } },
        outputs: { ok: { type: 'boolean', description: 'Whether it was built' } },
        include_in_progress_indicator: true,
        progress_indicator_message: 'Building your {{params.topic}} report, this takes a moment.',
      },
      {
        name: 'quick_lookup',
        description: 'Looks something up; usually quick.',
        respond_within_ms: 60_000,
        parameters: [{ name: 'what', type: 'string', required: true }],
        actions: [{ type: 'webhook', endpoint: 'reports', payload: { what: 'params.what' }, result_key: 'found' }],
        on_success: [{ type: 'respond', message: 'Found {{params.what}}.' }],
      },
      {
        name: 'slow_lookup',
        description: 'Looks something up; may be slow.',
        respond_within_ms: 500,
        parameters: [{ name: 'what', type: 'string', required: true }],
        actions: [{ type: 'webhook', endpoint: 'reports', payload: { what: 'params.what' }, result_key: 'found' }],
        on_success: [{ type: 'respond', message: 'Found {{params.what}} at last.' }],
      },
    ],
  });
  expect(saved.status).toBe(200);
  // The setting reads back as written, the credential by name only.
  expect((await stack.api('GET', '/v1/agents/reporter')).body.result_webhook).toEqual({
    url: receiver.url,
    credential: 'results_key',
    allow_private: true,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => receiver?.server.close(r));
  await new Promise((r) => control?.server.close(r));
}, 60_000);

async function conversation(): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent: 'reporter' });
  expect(res.status).toBe(201);
  return res.body.id;
}

const reportCalls = () => stack.sink.requests().filter((r) => r.path === '/reports');
const deliveriesOf = (runId: string) => receiver.received.filter((r) => r.body.run.id === runId);

describe('async actions', () => {
  it('answer at once, then deliver the result on SSE and to the result webhook, across an orchestrator restart and a 5xx', async () => {
    const conv = await conversation();
    const sse = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    stack.sink.hold();
    const before = reportCalls().length;
    try {
      const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'build_report',
        arguments: { topic: 'sales' },
      });
      // Answered while the chain is held at its webhook call: nothing waited for the result.
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        status: 'running',
        messages: ['Building your sales report, this takes a moment.'],
      });
      const runId: string = res.body.id;
      // The receiver refuses the first delivery: it is retried.
      receiver.script.set(runId, [503]);
      await eventually(() => (reportCalls().length > before ? true : undefined), 60_000);
      await stack.services.restart('orchestrator');
      expect(stack.sink.release()).toBeGreaterThan(0);

      const events = await sse.readUntil((e) => e.event === 'result' && e.data.id === runId, 90_000);
      expect(events.at(-1)?.data).toMatchObject({ id: runId, status: 'succeeded' });

      const delivered = await eventually(() => {
        const ok = deliversOk(runId);
        return ok.length > 0 ? ok : undefined;
      }, 90_000);
      const all = deliveriesOf(runId);
      expect(all.map((r) => r.answered)).toEqual([503, 200]);
      expect(all.every((r) => r.verified)).toBe(true);
      expect(all.map((r) => r.attempt)).toEqual(['1', '2']);
      expect(new Set(all.map((r) => r.idempotencyKey))).toEqual(new Set([`result:${runId}`]));
      expect(delivered[0]?.body).toMatchObject({
        type: 'run.result',
        run: { id: runId, status: 'succeeded', outputs: {} },
      });
      const run = await eventually(async () => {
        const r = await stack.api('GET', `/v1/runs/${runId}`);
        return r.body.deliveries?.webhook?.status === 'delivered' ? r.body : undefined;
      }, 30_000);
      expect(run.answeredEarlyAt).toEqual(expect.any(String));
      expect(run.deliveries.webhook).toMatchObject({ status: 'delivered', attempts: 2, httpStatus: 200 });
    } finally {
      stack.sink.release();
      sse.close();
    }
  }, 240_000);

  it('a result refused with a 4xx is not retried, and the run says the delivery failed', async () => {
    const conv = await conversation();
    stack.sink.hold();
    let runId = '';
    try {
      const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'build_report',
        arguments: { topic: 'costs' },
      });
      expect(res.status).toBe(202);
      runId = res.body.id;
      receiver.script.set(runId, [410]);
    } finally {
      stack.sink.release();
    }
    const run = await eventually(async () => {
      const r = await stack.api('GET', `/v1/runs/${runId}`);
      return r.body.deliveries?.webhook?.status === 'failed' ? r.body : undefined;
    }, 90_000);
    expect(run.status).toBe('succeeded');
    expect(run.deliveries.webhook).toMatchObject({ attempts: 1, httpStatus: 410, error: { code: 'delivery_refused' } });
    expect(deliveriesOf(runId).map((r) => r.answered)).toEqual([410]);
  }, 180_000);
});

describe('respond_within_ms', () => {
  it('a chain that ends within it answers with its result, and nothing is delivered later', async () => {
    const conv = await conversation();
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'quick_lookup',
      arguments: { what: 'invoice 7' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', messages: ['Found invoice 7.'] });
    const run = (await stack.api('GET', `/v1/runs/${res.body.id}`)).body;
    // Not marked answered early: the delivery step finds nothing to deliver for it.
    expect(run.answeredEarlyAt).toBeUndefined();
    expect(run.deliveries).toBeUndefined();
  }, 120_000);

  it('a chain that outlasts it answers running at that bound, then delivers its result', async () => {
    const conv = await conversation();
    stack.sink.hold();
    let runId = '';
    try {
      const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'slow_lookup',
        arguments: { what: 'order 9' },
      });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('running');
      runId = res.body.id;
    } finally {
      stack.sink.release();
    }
    const delivered = await eventually(() => {
      const ok = deliversOk(runId);
      return ok.length > 0 ? ok : undefined;
    }, 90_000);
    expect(delivered[0]?.body.run).toMatchObject({ status: 'succeeded', messages: ['Found order 9 at last.'] });
    expect(delivered[0]?.verified).toBe(true);
  }, 120_000);
});

describe('a Vapi drop-in call', () => {
  it("gets an async action's result by add-message on its control URL (triggering a response), a 5xx retried", async () => {
    const callId = `call-async-${Date.now()}`;
    control.script.push(500);
    stack.sink.hold();
    let runId = '';
    try {
      const res = await stack.api('POST', '/v1/dropin/vapi/reporter', {
        message: {
          type: 'tool-calls',
          call: { id: callId, monitor: { controlUrl: control.url } },
          toolCallList: [{ id: `tc-${callId}`, name: 'build_report', arguments: { topic: 'churn' } }],
        },
      });
      expect(res.status).toBe(200);
      const [result] = res.body.results;
      expect(result.result).toContain('Building your churn report, this takes a moment.');
      expect(result.result).toContain('still running');
      runId = /tool call (int_[0-9a-f]+)/.exec(result.result)?.[1] ?? '';
      expect(runId).not.toBe('');
    } finally {
      stack.sink.release();
    }
    const run = await eventually(async () => {
      const r = await stack.api('GET', `/v1/runs/${runId}`);
      return r.body.deliveries?.vapi?.status === 'delivered' ? r.body : undefined;
    }, 90_000);
    expect(run.deliveries.vapi).toMatchObject({ attempts: 2, httpStatus: 200 });
    expect(control.received.map((r) => r.answered)).toEqual([500, 200]);
    const expected: VapiControlMessage = {
      type: 'add-message',
      message: { role: 'system', content: expect.stringContaining(`(tool call ${runId}) is in: succeeded`) },
      triggerResponseEnabled: true,
    };
    for (const { body } of control.received) expect(body).toEqual(expected);
    // The agent has a result webhook too: it gets the same result.
    expect(
      (await eventually(() => (deliversOk(runId).length > 0 ? deliversOk(runId) : undefined), 60_000))[0]?.verified,
    ).toBe(true);
  }, 180_000);
});

function deliversOk(runId: string): Received[] {
  return deliveriesOf(runId).filter((r) => r.answered === 200);
}
