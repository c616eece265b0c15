/**
 * The inbound consumer against a real nats-server and the real `SB_INBOUND` configuration
 * (`ensureStreams`): two orchestrator "replicas" (two connections, each with a recording stand-in
 * for Temporal) consume one partitioned stream; one is lost while it holds webhooks, and every
 * SMS thread and every call still receives its webhooks in publish order. And a stream kept from
 * before partitioning gets the transform in place, its old consumer's webhooks handed over first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { type Bus, connectBus, ensureStreams, publishDurable } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import {
  type CallStatusUpdate,
  Consumers,
  create,
  encodeInbound,
  INBOUND_PARTITIONS,
  InboundEventSchema,
  InboundKind,
  type InboundSms,
  laneToken,
  Streams,
  Subjects,
  sessionWorkflowId,
  smsThreadWorkflowId,
} from '@switchboard/contracts';
import type { Queryable } from '@switchboard/db';
import { type NatsServer, startNats } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { Client } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startInboundConsumer } from './inbound-consumer.js';
import type { PartitionedConsumer } from './partitioned-consumer.js';

const TENANT = 'ten_inbound';

let dir: string;
let nats: NatsServer;
let bus: Bus;
const running: PartitionedConsumer[] = [];
const buses: Bus[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-inbound-'));
  nats = await startNats({ storeDir: join(dir, 'js'), logDir: dir });
  bus = await replicaBus('publisher');
}, 60_000);

beforeEach(async () => {
  await bus.jsm.streams.delete(Streams.Inbound).catch(() => {});
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

afterAll(async () => {
  for (const b of buses) if (!b.nc.isClosed()) await b.nc.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function replicaBus(name: string): Promise<Bus> {
  const b = await connectBus(nats.url, { name, reconnectForever: false });
  buses.push(b);
  return b;
}

const silent = (() => {
  const no = () => {};
  return { debug: no, info: no, warn: no, error: no, fatal: no } as unknown as Logger;
})();

/** A conversation per call sid, as Postgres would answer `findConversationByCallSid`. */
const db = {
  query: async (_sql: string, params: unknown[]) => ({
    rows: [{ id: `conv_${String(params[1])}`, tenant_id: TENANT, control_url: null }],
  }),
} as unknown as Queryable;

/**
 * A stand-in for Temporal that records, per workflow, the webhooks it accepted (an SMS's body,
 * a call's status), each after `delay()`: how long the signal takes.
 */
function recordingTemporal(record: (workflowId: string, value: string) => Promise<void>): Client {
  return {
    workflow: {
      signalWithStart: async (_type: string, options: { workflowId: string; signalArgs: [InboundSms] }) =>
        record(options.workflowId, options.signalArgs[0].body),
      getHandle: (workflowId: string) => ({
        signal: async (_name: unknown, update: CallStatusUpdate) => record(workflowId, update.status),
      }),
    },
  } as unknown as Client;
}

async function consume(on: Bus, record: (workflowId: string, value: string) => Promise<void>) {
  const consumer = await startInboundConsumer({
    bus: on,
    temporal: recordingTemporal(record),
    db,
    tracer: trace.getTracer('inbound-consumer-test'),
    log: silent,
    taskQueue: 'chains',
    maxInFlight: 32,
  });
  running.push(consumer);
  return consumer;
}

let sids = 0;
/** Publishes webhook `n` of a lane as the conversation service does (`Subjects.inbound`). */
async function publish(lane: { kind: 'sms' | 'call_status'; key: string }, n: number, subject?: string) {
  const id = `${TENANT}:W${++sids}`;
  const event = create(InboundEventSchema, {
    id,
    tenantId: TENANT,
    credential: 'twilio_main',
    ...(lane.kind === 'sms'
      ? { kind: InboundKind.SMS, from: lane.key, to: '+15559870000', body: `${n}`, messageSid: `SM${sids}` }
      : { kind: InboundKind.CALL_STATUS, callSid: lane.key, callStatus: `${n}` }),
  });
  const to = subject ?? Subjects.inbound(TENANT, lane.kind, lane.key);
  await publishDurable(bus.js, to, encodeInbound(event), id, { traceparent: '', tracestate: '' });
}

/** The workflow a lane's webhooks go to. */
const workflowOf = (lane: { kind: 'sms' | 'call_status'; key: string }) =>
  lane.kind === 'sms' ? smsThreadWorkflowId(TENANT, lane.key) : sessionWorkflowId(TENANT, `conv_${lane.key}`);

async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Workflows whose webhooks went backwards (one accepted after a later one of its lane). */
function outOfOrder(seen: Map<string, number[]>): string[] {
  return [...seen].filter(([, ns]) => ns.some((v, i) => i > 0 && v < (ns[i - 1] ?? 0))).map(([id]) => id);
}

describe('inbound consumer', () => {
  it("keeps each SMS thread's and call's webhooks in order across two replicas, one lost mid-delivery", async () => {
    await ensureStreams(bus.jsm);
    const lanes = [
      ...Array.from({ length: 10 }, (_, i) => ({ kind: 'sms' as const, key: `+1555000${String(i).padStart(4, '0')}` })),
      ...Array.from({ length: 4 }, (_, i) => ({ kind: 'call_status' as const, key: `CA${'0'.repeat(30)}${i}${i}` })),
    ];
    const PER_LANE = 15;
    const seen = new Map<string, number[]>();
    const accept = async (workflowId: string, value: string) => {
      // A signal takes a few milliseconds, more or less: webhooks of one lane handled side by
      // side (on two replicas) would overtake each other.
      await new Promise((r) => setTimeout(r, Math.random() * 6));
      seen.set(workflowId, [...(seen.get(workflowId) ?? []), Number(value)]);
    };
    const total = () => [...seen.values()].reduce((s, ns) => s + new Set(ns).size, 0);

    const a = await replicaBus('orchestrator-a');
    const b = await replicaBus('orchestrator-b');
    let lost = false;
    let lostAt = 0;
    let movedAt = 0;
    let aAccepted = 0;
    // What A holds when it is lost never finishes (a dead process); freed after the test.
    let free: () => void = () => {};
    const dead = new Promise<void>((_, reject) => {
      free = () => reject(new Error('replica lost'));
    });
    dead.catch(() => {});
    // Replica A accepts webhooks until its 40th: that one reached Temporal but is never acked,
    // and A is gone with everything it holds.
    await consume(a, async (workflowId, value) => {
      if (lost) return dead;
      await accept(workflowId, value);
      if (++aAccepted === 40) {
        lost = true;
        lostAt = Date.now();
        void a.nc.close();
        return dead;
      }
    });
    // B starts second: the partitions are pinned to A, B waits as a standby.
    await consume(b, async (workflowId, value) => {
      movedAt ||= Date.now();
      await accept(workflowId, value);
    });
    // One burst (the publishes of one connection are stored in the order they were sent): many
    // webhooks of a lane wait at once, so two replicas sharing a partition would split a lane.
    const burst: Promise<void>[] = [];
    for (let n = 0; n < PER_LANE; n++) for (const lane of lanes) burst.push(publish(lane, n));
    await Promise.all(burst);
    await until(() => total() === lanes.length * PER_LANE, 'every webhook is accepted', 120_000);
    free();
    console.log(`inbound partitions moved to the standby ${movedAt - lostAt} ms after their replica was lost`);

    expect(lost).toBe(true);
    expect(Object.fromEntries(outOfOrder(seen).map((id) => [id, seen.get(id)]))).toEqual({});
    for (const lane of lanes) {
      expect([...new Set(seen.get(workflowOf(lane)))]).toEqual(Array.from({ length: PER_LANE }, (_, i) => i));
    }
  }, 180_000);

  it('partitions an existing stream in place, handing over what its old consumer held first', async () => {
    // SB_INBOUND as the previous release made it: no transform, one consumer of everything.
    await bus.jsm.streams.add({
      name: Streams.Inbound,
      subjects: [Subjects.InboundAll],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    await bus.jsm.consumers.add(Streams.Inbound, {
      durable_name: Consumers.OrchestratorInbound,
      ack_policy: 'explicit' as never,
    });
    const lane = { kind: 'sms' as const, key: '+15550001111' };
    for (let n = 0; n < 5; n++) await publish(lane, n, `sb.inbound.${TENANT}.sms`);
    // This release: the transform added in place; later webhooks are stored under their partition.
    await ensureStreams(bus.jsm);
    for (let n = 5; n < 10; n++) await publish(lane, n);
    const { state } = await bus.jsm.streams.info(Streams.Inbound);
    const last = await bus.jsm.streams.getMessage(Streams.Inbound, { seq: state.last_seq });
    expect(last, 'the last webhook stored').not.toBeNull();
    const [, , partition, ...rest] = last!.subject.split('.');
    expect(rest).toEqual([TENANT, 'sms', laneToken(lane.key)]);
    expect(Number(partition)).toBeLessThan(INBOUND_PARTITIONS);

    const seen: number[] = [];
    await consume(bus, async (_workflowId, value) => {
      seen.push(Number(value));
    });
    await until(() => seen.length === 10, 'old and new webhooks are accepted');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(bus.jsm.consumers.info(Streams.Inbound, Consumers.OrchestratorInbound)).rejects.toThrow(
      /consumer not found/i,
    );
  }, 60_000);
});
