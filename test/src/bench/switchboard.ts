/**
 * The booking chain through Switchboard's public API, as a voice runtime drives it: one
 * conversation per chain with the receptionist agent, whose event stream the client follows,
 * and three tool calls in turn — Check Availability, Book Consultation (a slot of its own),
 * Send SMS Confirmation. Every call goes HTTP → NATS → orchestrator → session workflow →
 * provider worker → sandbox, and its result back over NATS.
 *
 * Time to first event: the client's clock from sending a tool call until the first message of
 * that call (same intent id) arrives on the conversation's SSE stream, which is opened before
 * the first call. SSE and the WebSocket are the same reader on the server (event-reader.ts);
 * SSE needs nothing but fetch. The event's own emission time (`at`, server clock, same machine)
 * is kept too, as `firstEventEmitted`. Time to result: until the HTTP response.
 */
import { type Bus, connectBus } from '@switchboard/bus';
import {
  type BookingLifecycleInput,
  BookingLifecycleWorkflowType,
  intentSignal,
  Streams,
  Subjects,
  sessionWorkflowId,
  smsThreadWorkflowId,
} from '@switchboard/contracts';
import { Client, Connection } from '@temporalio/client';
import type { TestStack } from '../support/stack.js';
import { phoneFor, type Slot } from './booking.js';
import { type ChainWork, countChainWork, settledWork } from './chain-work.js';
import { type ChainDriver, since } from './driver.js';
import { FirstEventStages } from './first-event.js';
import { hopSource } from './hop-source.js';
import { isoMs } from './hop-timeline.js';
import { type StepSample, summarize } from './stats.js';

/** How long after its result a tool call's first event may still arrive on the stream. */
const STREAM_GRACE_MS = 5_000;

/** A conversation's SSE stream: when each intent's first message arrived. */
interface EventStream {
  firstSeen: Map<string, number>;
  /** Each intent's first message: its `at` (events only) and when it was read (`Date.now()`). */
  firstRead: Map<string, { at: string | undefined; wall: number }>;
  /** Resolves once every intent given has been seen, or after `STREAM_GRACE_MS`. */
  seen(intents: readonly string[]): Promise<void>;
  close(): void;
}

async function openEventStream(stack: TestStack, conversationId: string): Promise<EventStream> {
  const controller = new AbortController();
  const res = await fetch(`${stack.services.apiUrl}/v1/conversations/${conversationId}/events`, {
    headers: { authorization: `Bearer ${stack.seed.apiKey}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const firstSeen = new Map<string, number>();
  const firstRead = new Map<string, { at: string | undefined; wall: number }>();
  const waiters = new Set<() => void>();
  let buffer = '';
  let connected: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const pump = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const now = performance.now();
      const wall = Date.now();
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        // The server writes this comment once its consumer exists: from here on nothing is missed.
        if (block.startsWith(': connected')) connected();
        const kind = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (kind === undefined || data === undefined) continue;
        const parsed = JSON.parse(data) as { intentId?: string; id?: string; at?: string };
        const intent = kind === 'result' ? parsed.id : parsed.intentId;
        if (intent !== undefined && !firstSeen.has(intent)) {
          firstSeen.set(intent, now);
          firstRead.set(intent, { at: kind === 'result' ? undefined : parsed.at, wall });
        }
      }
      for (const w of waiters) w();
    }
  };
  pump().catch(() => {});
  await ready;
  return {
    firstSeen,
    firstRead,
    seen: (intents) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (intents.every((i) => firstSeen.has(i))) finish();
        };
        const timer = setTimeout(() => finish(), STREAM_GRACE_MS);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    close: () => controller.abort(),
  };
}

/** Tool-call bodies are checked loosely: only status, id, outputs and the first event's time are read. */
interface ToolCallBody {
  id?: string;
  status?: string;
  error?: { code?: string; message?: string };
  events?: { at?: string }[];
  outputs?: Record<string, unknown>;
}

export function switchboardDriver(stack: TestStack, slotFor: (index: number) => Slot): ChainDriver {
  /** Per tool call of the current level: sent → its first event's emission time (server clock). */
  const emitted: number[] = [];
  const stages = new FirstEventStages(() => ({
    conversation: stack.services.processes().conversation?.pid,
    bench: process.pid,
  }));
  /** The last chain run: what its workflows are found by. */
  let last: { conversationId: string; phone: string; startedAt: Date } | undefined;
  let temporal: Connection | undefined;
  let bus: Bus | undefined;
  const client = async () => {
    temporal ??= await Connection.connect({ address: stack.infra.temporalAddress });
    return new Client({ connection: temporal, namespace: stack.infra.temporalNamespace });
  };
  const hops = hopSource({
    client,
    signal: intentSignal.name,
    resultStored: async (chain, intentId) => {
      if (chain.conversationId === undefined) return undefined;
      bus ??= await connectBus(stack.infra.natsUrl, { name: 'bench-hops', reconnectForever: false });
      const msg = await bus.jsm.direct.getMessage(Streams.Events, {
        last_by_subj: Subjects.result(chain.conversationId, intentId),
      });
      return msg ? isoMs(msg.timestamp) : undefined;
    },
  });
  const toolCall = async (conv: string, name: string, args: Record<string, unknown>) => {
    const t0 = performance.now();
    const t0Wall = Date.now();
    // `stack.api` as it is, but the response's Server-Timing header is read too.
    const res = await fetch(`${stack.services.apiUrl}/v1/conversations/${conv}/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.seed.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, arguments: args }),
    });
    const text = await res.text();
    const resultMs = since(t0);
    const serverTiming = res.headers.get('server-timing');
    stages.addServerTiming(serverTiming);
    const body = (text === '' ? {} : JSON.parse(text)) as ToolCallBody;
    if (body.status !== 'succeeded') {
      throw new Error(
        `${name}: HTTP ${res.status} ${body.status ?? ''} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`,
      );
    }
    const firstAt = body.events?.[0]?.at;
    if (firstAt) emitted.push(Date.parse(firstAt) - t0Wall);
    return { id: body.id as string, t0, t0Wall, resultMs, serverTiming, outputs: body.outputs ?? {} };
  };

  return {
    description:
      'new receptionist conversation + SSE stream (untimed), then tool calls Check Availability → Book Consultation → ' +
      'Send SMS Confirmation through POST /v1/conversations/:id/tool-calls',
    notes: [
      'Time to first event = tool call sent → first SSE message of that intent at the client; time to result = the HTTP response.',
      'Each booking + SMS also starts a bookingLifecycle workflow (SMS-thread subscription + confirmation-request SMS): real ' +
        'work the chain causes, done after the result, on the same processes, and counted in their CPU.',
      'Provider requests per chain include the idempotency lookup of the booking and the lifecycle confirmation SMS.',
      'API rate limits are off for the bench (RATE_LIMIT_PER_KEY_PER_MIN=0, RATE_LIMIT_PER_TENANT_PER_MIN=0).',
    ],
    beforeLevel: () => {
      emitted.length = 0;
      stages.reset();
      const latency = stack.sandboxes.calcom.faults.latencyMs;
      stack.sandboxes.calcom.reset();
      stack.sandboxes.twilio.reset();
      stack.sandboxes.calcom.faults.latencyMs = latency;
      stack.sandboxes.twilio.faults.latencyMs = latency;
    },
    chain: async (index) => {
      const slot = slotFor(index);
      const phone = phoneFor(index);
      const startedAt = new Date();
      const created = await stack.api('POST', '/v1/conversations', {
        agent: 'receptionist',
        contact: { first_name: `Caller${index}`, email: `caller${index}@example.com` },
        call: { sid: `CA${index.toString(16).padStart(32, '0')}`, from: phone, to: '+15557654321' },
      });
      if (created.status !== 201)
        throw new Error(`conversation: HTTP ${created.status} ${JSON.stringify(created.body)}`);
      const conv = created.body.id as string;
      last = { conversationId: conv, phone, startedAt };
      const stream = await openEventStream(stack, conv);
      try {
        const availability = await toolCall(conv, 'Check Availability', { start_date: slot.date });
        const booked = await toolCall(conv, 'Book Consultation', {
          start: slot.wall,
          name: `Caller ${index}`,
          email: `caller${index}@example.com`,
        });
        const sms = await toolCall(conv, 'Send SMS Confirmation', {});
        const chainMs = performance.now() - availability.t0;
        const calls = [availability, booked, sms];
        hops.add({
          workflowId: sessionWorkflowId(stack.seed.tenantId, conv),
          conversationId: conv,
          calls: calls.map((c) => ({
            intentId: c.id,
            sentAt: c.t0,
            answeredAt: c.t0 + c.resultMs,
            serverTiming: c.serverTiming,
          })),
        });
        await stream.seen(calls.map((c) => c.id));
        const steps: StepSample[] = calls.map((c) => {
          const seen = stream.firstSeen.get(c.id);
          stages.addFirstEvent(c.t0Wall, stream.firstRead.get(c.id));
          return { resultMs: c.resultMs, ...(seen === undefined ? {} : { firstEventMs: seen - c.t0 }) };
        });
        return { ok: true, chainMs, steps };
      } finally {
        stream.close();
      }
    },
    afterLevel: (chains) => ({
      providerRequestsPerChain:
        (stack.sandboxes.calcom.requests().length + stack.sandboxes.twilio.requests().length) / chains,
      firstEventEmittedP50Ms: summarize(emitted).p50 ?? Number.NaN,
      firstEventEmittedP99Ms: summarize(emitted).p99 ?? Number.NaN,
      ...stages.figures(),
    }),
    work: async () => {
      if (!last) throw new Error('no chain has run');
      return chainWork(await client(), stack.seed.tenantId, last);
    },
    hops,
    close: async () => {
      await temporal?.close();
      await bus?.close();
    },
  };
}

/** How long the last chain's lifecycle may take to be visible and waiting (its confirmation SMS sent). */
const SETTLE_MS = 10_000;

/** The conversation a booking lifecycle belongs to, from its start input. */
async function lifecycleConversation(client: Client, workflowId: string): Promise<string | undefined> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  if (!data) return undefined;
  return (JSON.parse(Buffer.from(data).toString('utf8')) as Partial<BookingLifecycleInput>).conversationId;
}

/**
 * The engine work of one chain: its session, the booking's lifecycle (found by type, start time
 * and conversation) and the SMS thread of its phone, once the lifecycle waits.
 */
async function chainWork(
  client: Client,
  tenantId: string,
  chain: { conversationId: string; phone: string; startedAt: Date },
): Promise<ChainWork> {
  const query = `WorkflowType = '${BookingLifecycleWorkflowType}' AND StartTime >= '${chain.startedAt.toISOString()}'`;
  const ids = async () => {
    const lifecycles: string[] = [];
    // The chain before may have started its lifecycle after this one began: keep this one's.
    for await (const w of client.workflow.list({ query }))
      if ((await lifecycleConversation(client, w.workflowId)) === chain.conversationId) lifecycles.push(w.workflowId);
    return [
      sessionWorkflowId(tenantId, chain.conversationId),
      ...lifecycles,
      smsThreadWorkflowId(tenantId, chain.phone),
    ];
  };
  // Settled: the lifecycle has sent its confirmation request (the chain's SMS is the first) and
  // no history grows any more.
  return settledWork(
    async () => countChainWork(client, await ids()).catch(() => undefined),
    (w) => (w.workflowTypes[BookingLifecycleWorkflowType] ?? 0) > 0 && (w.activityTypes['sms.send'] ?? 0) >= 2,
    SETTLE_MS,
  );
}
