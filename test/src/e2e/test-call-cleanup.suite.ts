import { sessionWorkflowId } from '@switchboard/contracts';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { eventually, type TestStack } from '../support/stack.js';

// Issue 16, item 6, through the public API: ending a test call (sandbox conversation) undoes
// its side effects — a durable step of its session — unless the call or its agent says
// keep_effects; GET …/sandbox-effects shows what was undone and what could not be. It needs the
// seeded stack and agents of its own, so it runs on the test-call tests' stack (sandbox.test.ts):
// one stack start fewer.
let stack: TestStack;
let temporalConnection: Connection;
let temporal: Client;

const actions = [
  {
    type: 'calcom_book',
    name: 'Book Consultation',
    description: 'Books a consultation in Cal.com.',
    config: { credential: 'calcom_main', event_type_id: 1001, time_zone: 'America/New_York' },
  },
  {
    type: 'send_sms',
    name: 'Text Confirmation',
    description: 'Texts the caller a confirmation.',
    config: { credential: 'twilio_main', from: '+15557654321', body: 'Your consultation is booked.' },
  },
];
const instructions = "Book with 'Book Consultation', then text with 'Text Confirmation'.";

let caller = 0;
/** A conversation that books a slot of its own and texts the caller; its booking uid. */
async function bookAndText(body: Record<string, unknown>): Promise<{ id: string; bookingUid: string }> {
  const n = ++caller;
  const created = await stack.api('POST', '/v1/conversations', {
    ...body,
    contact: { first_name: 'Ada', email: `cleanup${n}@example.com` },
    call: {
      // Call sids of their own: the host file's test calls number theirs from 1 too.
      sid: `CA${`c${n}`.padStart(32, '0')}`,
      from: `+1555222${String(n).padStart(4, '0')}`,
      to: '+15557654321',
    },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const res = await stack.api('POST', `/v1/conversations/${id}/tool-calls`, { name, arguments: args });
    expect(res.body.status).toBe('succeeded');
    return res.body.outputs as Record<string, string>;
  };
  const booked = await call('Book Consultation', {
    start: `${nextMonday()}T${String(8 + n).padStart(2, '0')}:30:00`,
    name: 'Ada Lovelace',
    email: `cleanup${n}@example.com`,
  });
  await call('Text Confirmation');
  return { id, bookingUid: booked.booking_uid as string };
}

async function bookingStatus(uid: string): Promise<string | undefined> {
  const state = (await (await fetch(`${stack.sandboxes.urls.calcom}/_sandbox/state`)).json()) as Record<
    string,
    unknown
  >;
  return (state.bookings as { uid: string; status: string }[]).find((b) => b.uid === uid)?.status;
}

async function end(id: string): Promise<void> {
  const res = await stack.api('POST', `/v1/conversations/${id}/end`);
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('ended');
}

/** The clean-up once the session recorded it. */
async function cleanupOf(id: string): Promise<Record<string, unknown> & { status: string }> {
  return eventually(async () => {
    const res = await stack.api('GET', `/v1/conversations/${id}/sandbox-effects`);
    expect(res.status).toBe(200);
    return res.body.cleanup ?? undefined;
  }, 60_000);
}

/** Waits until the conversation's session workflow has completed. */
async function sessionCompleted(id: string): Promise<void> {
  const handle = temporal.workflow.getHandle(sessionWorkflowId(stack.seed.tenantId, id));
  await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 60_000);
}

/** The clean-up tests, on the stack of the test file that calls this (started by then). */
export function describeTestCallCleanup(stackOf: () => TestStack): void {
  describe('a test call that ends', () => {
    beforeAll(async () => {
      stack = stackOf();
      temporalConnection = await Connection.connect({ address: stack.infra.temporalAddress });
      temporal = new Client({ connection: temporalConnection });
      for (const [name, keep] of [
        ['front-desk', undefined],
        ['demo-desk', true],
      ] as const) {
        const saved = await stack.api('PUT', `/v1/agents/${name}`, {
          instructions,
          actions,
          ...(keep !== undefined ? { keep_effects: keep } : {}),
        });
        expect(saved.status).toBe(200);
      }
      expect((await stack.api('GET', '/v1/agents/demo-desk')).body.keep_effects).toBe(true);
      expect((await stack.api('GET', '/v1/agents/front-desk')).body.keep_effects).toBe(false);
    }, 60_000);

    afterAll(async () => {
      await temporalConnection?.close();
    });

    it('has its booking cancelled by its session, and lists what was undone and what could not be', async () => {
      const test = await bookAndText({ agent: 'front-desk', sandbox: true });
      expect(await bookingStatus(test.bookingUid)).toBe('accepted');
      await end(test.id);

      const cleanup = await cleanupOf(test.id);
      expect(cleanup).toMatchObject({ status: 'undone', trigger: 'ended', failed: [] });
      expect(
        (cleanup.undone as { operation: string; providerRef: string }[]).map((e) => [e.operation, e.providerRef]),
      ).toEqual([['calcom.book', test.bookingUid]]);
      // The text cannot be recalled: listed as irreversible, with the reason.
      const irreversible = cleanup.irreversible as { operation: string; reason: string }[];
      expect(irreversible.length).toBeGreaterThanOrEqual(1);
      expect(
        irreversible.every((e) => e.operation === 'sms.send' && e.reason === 'a sent SMS cannot be recalled'),
      ).toBe(true);
      expect(await bookingStatus(test.bookingUid)).toBe('cancelled');
      const listed = await stack.api('GET', `/v1/conversations/${test.id}/sandbox-effects`);
      expect(listed.body.summary).toMatchObject({ pending: 0, undone: 1, failed: 0 });
      await sessionCompleted(test.id);
      // Repeating the end is harmless.
      await end(test.id);
    });

    it('keeps its effects when the call says keep_effects, or its agent does and the call does not say', async () => {
      const kept = await bookAndText({ agent: 'front-desk', sandbox: true, keep_effects: true });
      const byAgent = await bookAndText({ agent: 'demo-desk', sandbox: true });
      const overridden = await bookAndText({ agent: 'demo-desk', sandbox: true, keep_effects: false });
      for (const c of [kept, byAgent, overridden]) await end(c.id);

      for (const c of [kept, byAgent]) {
        expect(await cleanupOf(c.id)).toMatchObject({ status: 'kept', trigger: 'ended', undone: [] });
        expect(await bookingStatus(c.bookingUid)).toBe('accepted');
        const listed = await stack.api('GET', `/v1/conversations/${c.id}/sandbox-effects`);
        expect(listed.body.summary).toMatchObject({ pending: 1, undone: 0 });
      }
      expect((await stack.api('GET', `/v1/conversations/${kept.id}/sandbox-effects`)).body.keepEffects).toBe(true);
      expect((await stack.api('GET', `/v1/conversations/${byAgent.id}/sandbox-effects`)).body.keepEffects).toBeNull();

      expect(await cleanupOf(overridden.id)).toMatchObject({ status: 'undone' });
      expect(await bookingStatus(overridden.bookingUid)).toBe('cancelled');
    });

    it('leaves a real call alone: its session ends without touching the booking', async () => {
      const real = await bookAndText({ agent: 'front-desk' });
      await end(real.id);
      await sessionCompleted(real.id);
      const listed = await stack.api('GET', `/v1/conversations/${real.id}/sandbox-effects`);
      expect(listed.body).toMatchObject({ sandbox: false, cleanup: null, effects: [] });
      expect(await bookingStatus(real.bookingUid)).toBe('accepted');
    });
  });
}
