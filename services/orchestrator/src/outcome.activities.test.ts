/**
 * An intent's `accepted` event against a real nats-server: the conversation service publishes it
 * when it accepts the call (`<intent>:0`), and the session's first batch carries it again — within
 * the events stream's duplicate window or, when the session starts late, after it. The intent's
 * subject must hold it once, first, with the batch's other events after it in order.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, ensureStreams, publishDurable } from '@switchboard/bus';
import type { IntentRef, OutcomeBatch } from '@switchboard/chains';
import {
  ActionEventKind,
  ActionEventSchema,
  create,
  encodeEvent,
  MessageKinds,
  Headers as SbHeaders,
  Streams,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import { createPool, IdPrefixes, migrate, newId, type Pool } from '@switchboard/db';
import { type NatsServer, type PostgresServer, startNats, startPostgres } from '@switchboard/devstack';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionActivities } from './outcome.activities.js';

/** The events stream's duplicate window here: short, so a test can outlast it. */
const WINDOW_MS = 1_000;

let dir: string;
let nats: NatsServer;
let postgres: PostgresServer;
let db: Pool;
/** The orchestrator's connection, and the conversation service's. */
let bus: Bus;
let conversation: Bus;
let activities: ReturnType<typeof createSessionActivities>;
const noTrace = { traceparent: '', tracestate: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-outcome-'));
  chmodSync(dir, 0o755);
  [nats, postgres] = await Promise.all([
    startNats({ storeDir: join(dir, 'nats'), logDir: dir }),
    startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true }),
  ]);
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  bus = await connectBus(nats.url, { name: 'outcome-test-orchestrator', reconnectForever: false });
  conversation = await connectBus(nats.url, { name: 'outcome-test-conversation', reconnectForever: false });
  await ensureStreams(bus.jsm, { duplicateWindowMs: WINDOW_MS });
  activities = createSessionActivities({
    bus,
    db,
    // Nothing here starts a workflow: a Temporal nobody serves.
    temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    taskQueue: 'unused',
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([bus?.close(), conversation?.close()]);
  await db?.end();
  await Promise.all([nats?.stop(), postgres?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function newIntent(): IntentRef {
  return {
    intentId: newId(IdPrefixes.Intent),
    tenantId: 'ten_outcome',
    conversationId: newId(IdPrefixes.Conversation),
    actionName: 'save_meal',
    traceparent: '',
  };
}

/** The session's first batch of an intent: its `accepted`, then two more events. */
function firstBatch(intent: IntentRef): OutcomeBatch {
  const atMs = Date.now();
  return {
    intent,
    first: true,
    events: [
      { seq: 0, kind: 'accepted', data: { action: intent.actionName }, atMs },
      { seq: 1, kind: 'progress', data: { message: 'Saving your meal…' }, atMs },
      { seq: 2, kind: 'log', data: { message: 'step 1' }, atMs },
    ],
  };
}

/** What the conversation service publishes when it accepts the call (`accepted-event.ts`). */
async function publishEarlyAccepted(intent: IntentRef): Promise<void> {
  const event = create(ActionEventSchema, {
    intentId: intent.intentId,
    conversationId: intent.conversationId,
    tenantId: intent.tenantId,
    seq: 0,
    kind: ActionEventKind.ACCEPTED,
    data: { action: intent.actionName },
    at: timestampFromMs(Date.now()),
    trace: noTrace,
  });
  const ack = await publishDurable(
    conversation.js,
    Subjects.event(intent.conversationId, intent.intentId),
    encodeEvent(event),
    `${intent.intentId}:0`,
    noTrace,
    { [SbHeaders.Kind]: MessageKinds.Event },
  );
  expect(ack.duplicate).toBe(false);
}

/**
 * Waits until the server has forgotten the message ids published so far (it drops them on a
 * timer that runs once per window), and shows it: a probe published first is stored again.
 */
async function pastWindow(): Promise<void> {
  const subject = Subjects.event(newId(IdPrefixes.Conversation), newId(IdPrefixes.Intent));
  const probe = () => publishDurable(conversation.js, subject, new Uint8Array([1]), `probe:${subject}`, noTrace);
  expect((await probe()).duplicate).toBe(false);
  await new Promise((r) => setTimeout(r, 2.5 * WINDOW_MS));
  expect((await probe()).duplicate).toBe(false);
}

/** The message ids on the intent's event subject, in stream order. */
async function stored(intent: IntentRef): Promise<string[]> {
  const subject = Subjects.event(intent.conversationId, intent.intentId);
  const ids: string[] = [];
  for (let seq = 1; ; ) {
    const m = await bus.jsm.direct.getMessage(Streams.Events, { seq, next_by_subj: subject });
    if (!m) return ids;
    ids.push(m.header.get(SbHeaders.MsgId));
    seq = m.seq + 1;
  }
}

const inOrder = (intent: IntentRef) => [0, 1, 2].map((seq) => `${intent.intentId}:${seq}`);

describe('the accepted event of an intent', () => {
  it('is stored once when the session publishes it after the duplicate window', async () => {
    const intent = newIntent();
    await publishEarlyAccepted(intent);
    // The message id no longer tells the server it has the event: only the session's check does.
    await pastWindow();
    await activities.publishOutcome(firstBatch(intent));
    expect(await stored(intent)).toEqual(inOrder(intent));
  });

  it('is stored once when the session publishes it within the window', async () => {
    const intent = newIntent();
    await publishEarlyAccepted(intent);
    await activities.publishOutcome(firstBatch(intent));
    expect(await stored(intent)).toEqual(inOrder(intent));
  });

  it('is stored by the session, first, when the conversation service could not publish it', async () => {
    const intent = newIntent();
    await activities.publishOutcome(firstBatch(intent));
    expect(await stored(intent)).toEqual(inOrder(intent));
  });

  it('is stored once when the session’s first batch is retried after the window', async () => {
    const intent = newIntent();
    await activities.publishOutcome(firstBatch(intent));
    await pastWindow();
    await activities.publishOutcome(firstBatch(intent));
    // The batch's other events are stored again this late (their ids are forgotten too); the
    // accepted one is kept from it by the subject it already holds.
    const ids = await stored(intent);
    expect(ids.filter((id) => id === `${intent.intentId}:0`)).toHaveLength(1);
    expect(ids[0]).toBe(`${intent.intentId}:0`);
  });
});
