import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { Streams } from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../support/sse.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// The `accepted` event is published by the conversation service as soon as the intent is on the
// bus (issue 18, goal 5): a voice runtime hears of the call without waiting for the
// orchestrator or Temporal, and the stream still carries each of the run's events once.
let stack: TestStack;
let bus: Bus;
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-logs-'));

beforeAll(async () => {
  // A call answers `running` after a second, so the test need not wait for a long timeout.
  stack = await startTestStack(logDir, { serviceEnv: { TOOL_CALL_TIMEOUT_MS: '1000' } });
  bus = await connectBus(stack.infra.natsUrl, { name: 'accepted-early-test', reconnectForever: false });
}, 180_000);

afterAll(async () => {
  await bus?.nc.close();
  await stack?.stop();
}, 60_000);

const lunch = { meal_type: 'lunch', dishes: ['soup'] };

describe('the accepted event of a tool call', () => {
  it('reaches the event stream while the orchestrator is down, and stays the only one after it is back', async () => {
    const created = await stack.api('POST', '/v1/conversations', { agent: 'demo' });
    const conv = created.body.id as string;
    const sse = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    await stack.services.processes().orchestrator?.stop();
    let restarted = false;
    try {
      const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'save_meal',
        arguments: lunch,
      });
      expect(res.body.status).toBe('running');
      const intentId = res.body.id as string;
      // Nothing of Switchboard runs the intent now; its acceptance is on the stream all the same.
      const [accepted] = await sse.readUntil((e) => e.event === 'accepted');
      expect(accepted?.data).toMatchObject({ intentId, seq: 0, kind: 'accepted', data: { action: 'save_meal' } });

      // Past JetStream's duplicate window for the session's own `accepted` (`<intent>:0`): shrunk
      // to a second here (the orchestrator's start puts it back), so only the orchestrator's
      // check keeps the stream from carrying it twice.
      const info = await bus.jsm.streams.info(Streams.Events);
      await bus.jsm.streams.update(Streams.Events, { ...info.config, duplicate_window: 1_000_000_000 });
      await new Promise((r) => setTimeout(r, 2_500));
      await stack.services.restart('orchestrator');
      restarted = true;

      const rest = await sse.readUntil((e) => e.event === 'result' && e.data.id === intentId, 60_000);
      const streamed = [accepted, ...rest].flatMap((e) =>
        e && e.event !== 'result' && e.data.intentId === intentId ? [e.data.seq as number] : [],
      );
      const run = await eventually(async () => {
        const r = await stack.api('GET', `/v1/runs/${intentId}`);
        return r.body.status === 'succeeded' ? r : undefined;
      });
      // Every event of the run exactly once, in order, the accepted one first.
      expect(streamed).toEqual(run.body.events.map((e: { seq: number }) => e.seq));
      expect(streamed).toEqual(streamed.map((_, i) => i));
      expect(run.body.events[0].kind).toBe('accepted');
    } finally {
      if (!restarted) await stack.services.restart('orchestrator');
      sse.close();
    }
  });

  it('comes before the result on the stream of a call that runs at once', async () => {
    const created = await stack.api('POST', '/v1/conversations', { agent: 'demo' });
    const conv = created.body.id as string;
    const sse = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    try {
      const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'save_meal',
        arguments: lunch,
      });
      expect(res.body.status).toBe('succeeded');
      const events = await sse.readUntil((e) => e.event === 'result');
      expect(events[0]).toMatchObject({ event: 'accepted', data: { intentId: res.body.id, seq: 0 } });
      expect(events.filter((e) => e.event === 'accepted')).toHaveLength(1);
      expect(res.body.events.filter((e: { kind: string }) => e.kind === 'accepted')).toHaveLength(1);
    } finally {
      sse.close();
    }
  });
});
