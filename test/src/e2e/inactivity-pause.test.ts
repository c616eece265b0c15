import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, publishDurable } from '@switchboard/bus';
import {
  ActionEventKind,
  ActionEventSchema,
  create,
  encodeEvent,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import { IdPrefixes, insertAcceptedRun, newId } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// Issue 16, item 5, through the public API: the caller's explicit inactivity pause (the
// pause_inactivity_timer built-in) holds across later tool calls: the automatic pause and
// resume that wrap every run never send a resume while it holds, and neither does the
// stuck-run sweeper when it ends a run of the conversation; an explicit resume (the
// resume_inactivity_timer built-in) lifts it.
let stack: TestStack;
let bus: Bus;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-pause-')), {
    exportSpans: false,
    // The sweeper ends a run nothing will run soon after its (short) deadline.
    serviceEnv: { RUN_DEADLINE_GRACE_MS: '1000', STUCK_RUN_SWEEP_MS: '500', STUCK_RUN_ABANDON_AFTER_MS: '1500' },
  });
  bus = await connectBus(stack.infra.natsUrl, { name: 'e2e-inactivity-pause' });
  const saved = await stack.api('PUT', '/v1/agents/patient', {
    instructions:
      "When the caller needs time, use 'Give Time'; when they are back, use 'Back Again'. To take a note, use 'take_note'.",
    actions: [
      {
        type: 'pause_inactivity_timer',
        name: 'Give Time',
        description: 'Gives the caller time to look something up.',
        config: { duration_seconds: 600, message: 'Take your time.' },
      },
      {
        type: 'resume_inactivity_timer',
        name: 'Back Again',
        description: 'The caller is back.',
        config: { message: 'Welcome back.' },
      },
      {
        name: 'take_note',
        description: 'Takes a note.',
        parameters: [{ name: 'note', type: 'string', required: true }],
        actions: [{ type: 'context.set', key: 'note', value: 'params.note' }],
        on_success: [{ type: 'respond', message: 'Noted.' }],
      },
    ],
  });
  expect(saved.status).toBe(200);
  expect(saved.body.actions.map((a: { status: string }) => a.status)).toEqual([
    'configured',
    'configured',
    'configured',
  ]);
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
}, 60_000);

interface Event {
  kind: string;
  data: { action?: string; automatic?: boolean; payload?: unknown; level?: string; message?: string };
}

/** The call_control events of a tool call, as `action` (`+auto` when automatic). */
function controls(events: Event[]): string[] {
  return events
    .filter((e) => e.kind === 'call_control')
    .map((e) => `${e.data.action}${e.data.automatic ? '+auto' : ''}`);
}

async function call(conversation: string, name: string, args: Record<string, unknown> = {}) {
  const res = await stack.api('POST', `/v1/conversations/${conversation}/tool-calls`, { name, arguments: args });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('succeeded');
  return res.body as { messages: string[]; events: Event[] };
}

describe('an explicit inactivity pause', () => {
  it('is not lifted by the automatic resume of its own run or of later runs of the conversation', async () => {
    // A voice call the API client's runtime controls: channel twilio (a conversation without a
    // call, channel none, refuses call-control steps such as the pause).
    const conv = (await stack.api('POST', '/v1/conversations', { agent: 'patient', channel: 'twilio' })).body
      .id as string;
    // Before any explicit pause, a run is wrapped in an automatic pause and resume.
    expect(controls((await call(conv, 'take_note', { note: 'a' })).events)).toEqual([
      'pause_inactivity+auto',
      'resume_inactivity+auto',
    ]);

    const paused = await call(conv, 'Give Time');
    expect(paused.messages).toEqual(['Take your time.']);
    expect(controls(paused.events)).toEqual(['pause_inactivity+auto', 'pause_inactivity']);
    expect(paused.events.find((e) => e.kind === 'call_control' && !e.data.automatic)?.data.payload).toEqual({
      duration_seconds: 600,
    });
    expect(paused.events.at(-1)).toMatchObject({
      kind: 'log',
      data: { level: 'info', message: 'inactivity timer left paused: an explicit pause holds' },
    });

    // A later action of the same call: paused around it as always, and the pause holds after it.
    const later = await call(conv, 'take_note', { note: 'b' });
    expect(controls(later.events)).toEqual(['pause_inactivity+auto']);

    // Another conversation has its own timer.
    const other = (await stack.api('POST', '/v1/conversations', { agent: 'patient', channel: 'twilio' })).body
      .id as string;
    expect(controls((await call(other, 'take_note', { note: 'c' })).events)).toEqual([
      'pause_inactivity+auto',
      'resume_inactivity+auto',
    ]);
  });

  it('is lifted by an explicit resume: later runs end with the automatic resume again', async () => {
    const conv = (await stack.api('POST', '/v1/conversations', { agent: 'patient', channel: 'twilio' })).body
      .id as string;
    await call(conv, 'Give Time');
    expect(controls((await call(conv, 'take_note', { note: 'a' })).events)).toEqual(['pause_inactivity+auto']);

    const back = await call(conv, 'Back Again');
    expect(back.messages).toEqual(['Welcome back.']);
    expect(controls(back.events)).toEqual(['pause_inactivity+auto', 'resume_inactivity', 'resume_inactivity+auto']);

    expect(controls((await call(conv, 'take_note', { note: 'b' })).events)).toEqual([
      'pause_inactivity+auto',
      'resume_inactivity+auto',
    ]);
    // A new explicit pause holds again.
    await call(conv, 'Give Time');
    expect(controls((await call(conv, 'take_note', { note: 'c' })).events)).toEqual(['pause_inactivity+auto']);
  });

  it('is not lifted when the stuck-run sweeper ends a run of the conversation', async () => {
    const conv = (await stack.api('POST', '/v1/conversations', { agent: 'patient', channel: 'twilio' })).body
      .id as string;
    await call(conv, 'Give Time');
    // A run whose first event went out but whose intent its session never got (as if lost
    // between the two): the sweeper ends it failed, and must not resume the timer for it.
    const intentId = newId(IdPrefixes.Intent);
    await insertAcceptedRun(stack.db, {
      intentId,
      tenantId: stack.seed.tenantId,
      conversationId: conv,
      actionName: 'take_note',
      arguments: { note: 'lost' },
      traceId: 'cd'.repeat(16),
      agentName: 'patient',
      providers: [],
      deadlineAfterMs: 500,
    });
    // The session's first batch: `accepted` (sequence 0) and its automatic pause. (An `accepted`
    // alone is the conversation service's, sent before any session ran: nothing to resume then.)
    const firstBatch = [
      create(ActionEventSchema, {
        intentId,
        conversationId: conv,
        tenantId: stack.seed.tenantId,
        seq: 0,
        kind: ActionEventKind.ACCEPTED,
        at: timestampFromMs(Date.now()),
      }),
      create(ActionEventSchema, {
        intentId,
        conversationId: conv,
        tenantId: stack.seed.tenantId,
        seq: 1,
        kind: ActionEventKind.CALL_CONTROL,
        data: { action: 'pause_inactivity', automatic: true },
        at: timestampFromMs(Date.now()),
      }),
    ];
    for (const event of firstBatch) {
      await publishDurable(
        bus.js,
        Subjects.event(conv, intentId),
        encodeEvent(event),
        `lost-${intentId}-${event.seq}`,
        { traceparent: '', tracestate: '' },
      );
    }

    const run = await eventually(async () => {
      const res = await stack.api('GET', `/v1/runs/${intentId}`);
      return res.body.status === 'failed' ? res.body : undefined;
    }, 30_000);
    expect(run.error.code).toBe('run_abandoned');
    expect(run.events.map((e: Event) => e.kind)).toEqual(['failed', 'log']);
    expect(run.events[1].data.message).toBe('inactivity timer left paused: an explicit pause holds');
    // The pause still holds for the conversation's next run.
    expect(controls((await call(conv, 'take_note', { note: 'd' })).events)).toEqual(['pause_inactivity+auto']);
  });
});
