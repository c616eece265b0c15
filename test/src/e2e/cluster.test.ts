/**
 * Cluster mode end to end: two processes of every service and a three-node NATS cluster. The
 * streams are kept at replicas 3; a conversation's tool calls, sent one after another to the
 * two API replicas in turn (each answered once published: the tool-call wait is short), take
 * effect in the order they were sent, also while an orchestrator replica is killed and a NATS
 * node is killed and restarted. The chaos run in cluster mode (replicas of every kind killed,
 * booking chains with calls in flight) is test/src/chaos/booking-chaos-cluster.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { Streams, smsThreadStateQuery, smsThreadWorkflowId } from '@switchboard/contracts';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectOrderViolations } from '../support/effect-order.js';
import { type ApiResponse, eventually, startTestStack, type TestStack } from '../support/stack.js';
import { postTwilioWebhook, smsFields } from '../support/twilio-webhooks.js';

let stack: TestStack;
/** Why calls of the load were sent again: a retryable 503's code, or no answer. */
const retried: string[] = [];
let bus: Bus;
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-cluster-logs-'));

beforeAll(async () => {
  stack = await startTestStack(logDir, { replicas: 2, serviceEnv: { TOOL_CALL_TIMEOUT_MS: '100' } });
  bus = await connectBus(stack.infra.natsUrl, { name: 'cluster-test', reconnectForever: false });
}, 240_000);

afterAll(async () => {
  await bus?.close().catch(() => {});
  await stack?.stop();
}, 90_000);

async function post(apiUrl: string, path: string, body: unknown, key?: string): Promise<ApiResponse> {
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${stack.seed.apiKey}`,
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * Sends `calls` save_meal calls to each of `conversations` new conversations, one after
 * another per conversation (the next once the previous is published), alternating the API
 * replicas; conversations side by side. Returns the sent order per conversation.
 */
async function orderedLoad(conversations: number, calls: number, during?: () => Promise<void>) {
  const apis = stack.services.apiUrls;
  const sent = new Map<string, string[]>();
  const convs: string[] = [];
  for (let c = 0; c < conversations; c++) {
    const res = await post(apis[c % apis.length] as string, '/v1/conversations', { agent: 'demo' });
    expect(res.status).toBe(201);
    convs.push(res.body.id);
    sent.set(res.body.id, []);
  }
  const load = Promise.all(
    convs.map(async (conv, c) => {
      for (let k = 0; k < calls; k++) {
        const dish = `${conv}:${k}`;
        const call = { name: 'save_meal', arguments: { meal_type: 'lunch', dishes: [dish] } };
        // A retryable 503 (say, the bus while a NATS node is down), or no answer (a killed API
        // replica), is sent again with the same key to the other replica, as a client would;
        // the next call waits for it.
        let res: ApiResponse | undefined;
        for (let attempt = 1; ; attempt++) {
          res = await post(
            apis[(c + k + attempt - 1) % apis.length] as string,
            `/v1/conversations/${conv}/tool-calls`,
            call,
            dish,
          ).catch((err: Error) => {
            retried.push(`no answer: ${err.message}`);
            return undefined;
          });
          if (res !== undefined && (res.status !== 503 || res.body?.error?.retryable !== true)) break;
          if (attempt === 60) break;
          if (res !== undefined) retried.push(res.body.error.code);
          await new Promise((r) => setTimeout(r, 250));
        }
        if (res === undefined) throw new Error(`call ${dish} never answered`);
        expect([200, 202], JSON.stringify(res.body)).toContain(res.status);
        sent.get(conv)?.push(dish);
      }
    }),
  );
  await Promise.all([load, during?.()]);
  await eventually(async () => {
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM action_runs WHERE conversation_id = ANY($1) AND status = 'succeeded'`,
      [convs],
    );
    return rows[0].n === conversations * calls ? true : undefined;
  }, 120_000);
  return sent;
}

/** The dishes the sink received, per conversation, in the order it received them. */
function effects(): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const r of stack.sink.requests().filter((q) => q.path === '/meal_log')) {
    const dish = (r.body as { meal?: { dishes?: string[] } }).meal?.dishes?.[0] ?? '';
    const conv = dish.split(':')[0] ?? '';
    seen.set(conv, [...(seen.get(conv) ?? []), dish]);
  }
  return seen;
}

describe('cluster mode', () => {
  it('keeps the streams at replicas 3 on the three-node cluster', async () => {
    expect(stack.infra.natsUrl.split(',')).toHaveLength(3);
    expect(stack.services.apiUrls).toHaveLength(2);
    for (const name of [Streams.Intents, Streams.Events, Streams.Inbound]) {
      const info = await bus.jsm.streams.info(name);
      expect(info.config.num_replicas, name).toBe(3);
      expect(info.cluster?.replicas ?? [], name).toHaveLength(2);
    }
  });

  it("takes effect in each conversation's order, calls alternating over the API replicas", async () => {
    const sent = await orderedLoad(6, 6);
    expect(effectOrderViolations(sent, effects())).toEqual([]);
  }, 180_000);

  it('keeps that order while an orchestrator replica is killed and a NATS node killed and restarted', async () => {
    const sent = await orderedLoad(6, 8, async () => {
      await new Promise((r) => setTimeout(r, 300));
      stack.services.kill('orchestrator', 0);
      await stack.infra.restart('nats', { kill: true, node: 1, downMs: 1_000 });
      await stack.services.restart('orchestrator', { replica: 0 });
    });
    expect(effectOrderViolations(sent, effects())).toEqual([]);
    console.log(`cluster: calls sent again ${retried.length} (${[...new Set(retried)].join(', ')})`);
  }, 240_000);

  it("delivers each sender's SMS webhooks to its thread in order, alternating API replicas, an orchestrator killed", async () => {
    const SENDERS = 4;
    const PER_SENDER = 10;
    const apis = stack.services.apiUrls;
    const phones = Array.from(
      { length: SENDERS },
      (_, s) => `+1555777${String(Date.now() % 1000).padStart(3, '0')}${s}`,
    );
    const sent = new Map<string, string[]>(phones.map((p) => [p, []]));
    // Each sender's webhooks one after another (the next once the previous is answered, i.e.
    // published), to the two API replicas in turn; senders side by side.
    const load = Promise.all(
      phones.map(async (phone, s) => {
        for (let k = 0; k < PER_SENDER; k++) {
          const fields = smsFields(stack, phone, `${phone}:${k}`);
          for (let attempt = 0; ; attempt++) {
            const res = await postTwilioWebhook(stack, 'sms', fields, undefined, apis[(s + k + attempt) % apis.length]);
            if (res.status === 200) break;
            // A retryable 503 (the bus busy electing): sent again, as Twilio retries.
            expect(res.status, res.body).toBe(503);
            expect(attempt).toBeLessThan(40);
            await new Promise((r) => setTimeout(r, 250));
          }
          sent.get(phone)?.push(`${phone}:${k}`);
        }
      }),
    );
    const disruption = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      stack.services.kill('orchestrator', 0);
      await stack.services.restart('orchestrator', { replica: 0 });
    })();
    await Promise.all([load, disruption]);
    const connection = await Connection.connect({ address: stack.infra.temporalAddress });
    try {
      const temporal = new Client({ connection });
      const received = new Map<string, string[]>();
      for (const phone of phones) {
        const handle = temporal.workflow.getHandle(smsThreadWorkflowId(stack.seed.tenantId, phone));
        const state = await eventually(async () => {
          const st = await handle.query(smsThreadStateQuery).catch(() => undefined);
          return st && st.messages.length === PER_SENDER ? st : undefined;
        }, 120_000);
        received.set(
          phone,
          state.messages.map((m) => m.body),
        );
      }
      expect(Object.fromEntries(received)).toEqual(Object.fromEntries(sent));
    } finally {
      await connection.close();
    }
  }, 240_000);
});
