import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, TestStack } from '../support/stack.js';

// A cold transfer is reported by how its dialled leg ended (Twilio's DialCallStatus), driven
// through every process with the shipped booking agent's 'Transfer to Scheduling' (cold) and a
// live call in the Twilio sandbox. With TWILIO_RESUME_URL set, the TwiML after the <Dial>
// brings a caller whose transfer was not answered back to the voice agent. It runs on the example
// agents' stack (example-agents.test.ts: the same seeded agents), its telephony worker restarted
// with TWILIO_RESUME_URL for these tests and without it after them — one stack start fewer.
let stack: TestStack;

const ACME = '+15557654321';
const SCHEDULING_LINE = '+15551230000';
const RESUME_URL = 'https://agent.example.com/twilio/resume';
const FAILURE_MESSAGE = "I'm sorry, I couldn't reach the scheduling team. I can have them call you back instead.";

interface SandboxCall {
  sid: string;
  status: string;
  to: string;
  parent_call_sid: string | null;
  doing: { kind: string; url?: string };
}

const calls = () => stack.sandboxes.twilio.state().calls as unknown as SandboxCall[];

async function liveCall(from: string): Promise<{ conv: string; callSid: string }> {
  const call = stack.sandboxes.twilio.createCall({ from, to: ACME });
  const callSid = String(call.sid);
  const res = await stack.api('POST', '/v1/conversations', {
    agent: 'booking',
    call: { sid: callSid, from, to: ACME },
  });
  expect(res.status).toBe(201);
  return { conv: res.body.id, callSid };
}

const transfer = (conv: string): Promise<ApiResponse> =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
    name: 'Transfer to Scheduling',
    arguments: { reason: 'slot taken' },
  });

const transferResult = (res: ApiResponse): Record<string, unknown> | undefined =>
  (res.body.events as { kind: string; data: Record<string, unknown> }[]).find(
    (e) => e.kind === 'call_control' && e.data.action === 'transfer',
  )?.data.result as Record<string, unknown> | undefined;

/** The cold-transfer tests, on the stack of the test file that calls this (started by then). */
export function describeColdTransfer(stackOf: () => TestStack): void {
  describe('cold transfer', () => {
    beforeAll(async () => {
      stack = stackOf();
      await stack.services.restart('telephony-worker', { env: { TWILIO_RESUME_URL: RESUME_URL } });
    }, 120_000);

    afterAll(async () => {
      // The host's other tests expect no resume URL (a caller left in the conference).
      await stack.services.restart('telephony-worker', { env: {} });
    }, 120_000);

    it('succeeds once the destination answered', async () => {
      stack.sandboxes.twilio.setDestination(SCHEDULING_LINE, 'answer');
      const { conv, callSid } = await liveCall('+15551110101');
      const res = await transfer(conv);
      expect(res.body.status).toBe('succeeded');
      expect(res.body.messages).toEqual(['Let me connect you with our scheduling team.']);
      const leg = calls().find((c) => c.parent_call_sid === callSid);
      expect(leg).toMatchObject({ to: SCHEDULING_LINE, status: 'in-progress' });
      expect(transferResult(res)).toMatchObject({
        status: 'connected',
        mode: 'cold',
        caller: 'bridged',
        destination_call_sid: leg?.sid,
      });
    });

    for (const [behaviour, code, detail] of [
      ['busy', 'transfer_busy', 'the destination is busy'],
      ['no-answer', 'transfer_no_answer', 'the destination did not answer'],
      ['failed', 'transfer_failed', 'the destination could not be reached'],
    ] as const) {
      it(`fails with ${code} when the destination is ${behaviour}; on_failure speaks and the caller is back with the agent`, async () => {
        stack.sandboxes.twilio.setDestination(
          SCHEDULING_LINE,
          behaviour === 'no-answer' ? { behaviour, afterMs: 500 } : behaviour,
        );
        try {
          const { conv, callSid } = await liveCall('+15551110102');
          const res = await transfer(conv);
          expect(res.body.status).toBe('failed');
          expect(res.body.error).toMatchObject({ code, message: detail, retryable: false });
          // The action's failure message (its on_failure) is what the agent says now.
          expect(res.body.messages).toEqual([FAILURE_MESSAGE]);
          expect(transferResult(res)).toMatchObject({ status: behaviour, mode: 'cold', caller: 'resumed' });
          expect(calls().find((c) => c.parent_call_sid === callSid)?.status).toBe(behaviour);
          expect(calls().find((c) => c.sid === callSid)).toMatchObject({
            status: 'in-progress',
            doing: { kind: 'url', url: RESUME_URL },
          });
        } finally {
          stack.sandboxes.twilio.setDestination(SCHEDULING_LINE, 'answer');
        }
      });
    }
  });
}
