import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../support/stack.js';

// The ElevenLabs drop-in endpoint (issue 15, item 6): a server tool (webhook) URL with the same
// idempotency and conversation-keying rules as the Vapi and Retell ones, called as the tools
// `switchboard export --format elevenlabs` makes call it. It needs nothing but the seeded stack,
// so it runs on the drop-in tests' stack (dropin.test.ts): one stack start fewer.
let stack: TestStack;

const mealCalls = () => stack.sink.requests().filter((r) => r.path === '/meal_log');
const lunch = { meal_type: 'lunch', dishes: ['soup', 'bread'] };
const dinner = { meal_type: 'dinner', dishes: ['rice'] };

/** What an exported tool sends: its arguments as the body, `?tool=`, the call's identity as headers. */
function elevenLabsCall(tool: string, args: unknown, headers: Record<string, string>, query = '') {
  return stack.api('POST', `/v1/dropin/elevenlabs/demo?tool=${encodeURIComponent(tool)}${query}`, args, headers);
}

async function conversationsOf(externalId: string) {
  const { rows } = await stack.db.query(
    `SELECT c.id, c.contact, c.call, c.channel, c.sandbox,
            (SELECT count(*)::int FROM action_runs r WHERE r.conversation_id = c.id) AS runs
       FROM conversations c WHERE c.external_id = $1`,
    [externalId],
  );
  return rows as { contact: object; call: object; channel: string; sandbox: boolean; runs: number }[];
}

/** The ElevenLabs endpoint's tests, on the stack of the test file that calls this (started by then). */
export function describeElevenLabsDropin(stackOf: () => TestStack): void {
  describe('ElevenLabs server tool webhook', () => {
    beforeAll(() => {
      stack = stackOf();
    });

    it('runs the tool in the conversation of its ElevenLabs conversation id, once per tool and arguments', async () => {
      const conversationId = `conv_${randomUUID().replaceAll('-', '')}`;
      const headers = {
        'x-elevenlabs-conversation-id': conversationId,
        'x-elevenlabs-call-sid': `CA${'5'.repeat(32)}`,
        'x-elevenlabs-caller-id': '+15551230000',
        'x-elevenlabs-called-number': '+15557654321',
      };
      const before = mealCalls().length;
      const res = await elevenLabsCall('save_meal', lunch, headers);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ result: "Got it! I've logged your lunch.", status: 'succeeded', outputs: {} });
      // A retried request (same conversation, tool and arguments) runs nothing new.
      expect((await elevenLabsCall('save_meal', lunch, headers)).body).toEqual(res.body);
      const other = await elevenLabsCall('save_meal', dinner, headers);
      expect(other.body.result).toBe("Got it! I've logged your dinner.");
      expect(
        mealCalls()
          .slice(before)
          .map((c) => c.body),
      ).toEqual([{ meal: lunch }, { meal: dinner }]);

      const [conversation, ...rest] = await conversationsOf(`elevenlabs:${conversationId}`);
      expect(rest).toEqual([]);
      expect(conversation).toMatchObject({
        runs: 2,
        channel: 'elevenlabs',
        call: { sid: headers['x-elevenlabs-call-sid'], from: '+15551230000', to: '+15557654321' },
        contact: { phone: '+15551230000' },
      });

      // Another ElevenLabs conversation is another Switchboard conversation, even with the same arguments.
      const second = `conv_${randomUUID().replaceAll('-', '')}`;
      const web = await elevenLabsCall('save_meal', lunch, { 'x-elevenlabs-conversation-id': second }, '&sandbox=true');
      expect(web.body.status).toBe('succeeded');
      expect(await conversationsOf(`elevenlabs:${second}`)).toEqual([
        expect.objectContaining({ runs: 1, call: {}, contact: {}, sandbox: true }),
      ]);
    });

    it('answers failures and unknown tools as results, and refuses a request without its conversation id', async () => {
      const headers = { 'x-elevenlabs-conversation-id': `conv_${randomUUID()}` };
      const failed = await elevenLabsCall('save_meal', { meal_type: 'brunch', dishes: ['eggs'] }, headers);
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({ status: 'failed', error: { code: 'invalid_arguments' } });
      const unknown = await elevenLabsCall('order_pizza', {}, headers);
      expect(unknown.body).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });
      const anonymous = await elevenLabsCall('save_meal', lunch, {});
      expect(anonymous.status).toBe(400);
      expect(anonymous.body.error.code).toBe('validation_failed');
      const noTool = await stack.api('POST', '/v1/dropin/elevenlabs/demo', lunch, headers);
      expect(noTool.status).toBe(400);
      const otherAgent = await stack.api('POST', '/v1/dropin/elevenlabs/nobody?tool=save_meal', lunch, headers);
      expect(otherAgent.status).toBe(404);
    });
  });
}
