/**
 * Stuck runs, end to end: a run whose intent never reaches Temporal (the conversation service
 * died before publishing it) shows as `stuck` in the runs API once past its deadline, and the
 * orchestrator's sweeper then ends it `failed` with `run_abandoned` — audit row, result on the
 * bus, runs API. (An intent that reaches the orchestrator undecodable fails at once instead:
 * `intent_undecodable`, tested with the intent consumer.)
 * A run whose session has its intent (its worker is down) stays stuck, is left alone, and
 * finishes when the worker is back. Deadlines and the sweep are shortened for the test.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { ActionStatus, decodeResult, Streams, Subjects, sessionWorkflowId } from '@switchboard/contracts';
import { IdPrefixes, insertAcceptedRun, newId } from '@switchboard/db';
import { MetricNames, parsePrometheusText } from '@switchboard/telemetry';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let bus: Bus;
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-stuck-'));

/** How long after its deadline the sweeper ends a run nothing will run. */
const ABANDON_AFTER_MS = 3_000;

beforeAll(async () => {
  stack = await startTestStack(logDir, {
    serviceEnv: {
      RUN_DEADLINE_GRACE_MS: '1000',
      STUCK_RUN_SWEEP_MS: '500',
      STUCK_RUN_ABANDON_AFTER_MS: String(ABANDON_AFTER_MS),
      TOOL_CALL_TIMEOUT_MS: '1000',
      // The orchestrator logs what the sweeper decides at warn.
      LOG_LEVEL: 'warn',
    },
  });
  bus = await connectBus(stack.infra.natsUrl, { name: 'e2e-stuck-runs' });
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
}, 60_000);

async function newConversation(agent = 'demo'): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** The orchestrator's log lines about one intent (JSON lines). */
function orchestratorSays(intentId: string): { msg: string; reason?: string }[] {
  return readFileSync(join(logDir, 'orchestrator.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes(intentId))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { msg: string; reason?: string }];
      } catch {
        return [];
      }
    });
}

/** `switchboard_runs_stuck` as the orchestrator's `/metrics` says now. */
async function stuckGauge(): Promise<number | undefined> {
  const res = await fetch(stack.services.metricsUrl('orchestrator'));
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text()).get(MetricNames.runsStuck)?.samples[0]?.value;
}

/** The run as `GET /v1/runs?…` lists it, if it does. */
async function listed(query: string, intentId: string): Promise<Record<string, unknown> | undefined> {
  const res = await stack.api('GET', `/v1/runs?${query}`);
  expect(res.status).toBe(200);
  return (res.body.runs as { id: string }[]).find((r) => r.id === intentId);
}

/**
 * Accepts a tool call as the API does (its `accepted` row, with a deadline) and stops there, as
 * a conversation service that dies between writing the row and publishing the intent would:
 * the intent never reaches the bus, the orchestrator or Temporal.
 */
async function acceptUnpublished(conversationId: string): Promise<string> {
  const intentId = newId(IdPrefixes.Intent);
  await insertAcceptedRun(stack.db, {
    intentId,
    tenantId: stack.seed.tenantId,
    conversationId,
    actionName: 'save_meal',
    arguments: {},
    traceId: 'ab'.repeat(16),
    agentName: 'demo',
    providers: ['webhook'],
    deadlineAfterMs: 1_500,
  });
  return intentId;
}

describe('stuck runs', () => {
  it('a run whose intent never reaches Temporal is listed stuck, then ends failed with run_abandoned', async () => {
    // One conversation without a session workflow, one whose session is running (it served a
    // call), one whose session was terminated after serving one.
    const fresh = await newConversation();
    const served = await newConversation();
    const ended = await newConversation();
    for (const conversationId of [served, ended]) {
      const first = await stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, {
        name: 'save_meal',
        arguments: { meal_type: 'lunch', dishes: ['soup'] },
      });
      expect(first.body.status).toBe('succeeded');
    }
    const connection = await Connection.connect({ address: stack.infra.temporalAddress });
    try {
      await new Client({ connection }).workflow
        .getHandle(sessionWorkflowId(stack.seed.tenantId, ended))
        .terminate('stuck-runs test: a session that is gone');
    } finally {
      await connection.close();
    }
    const [orphan, unknown, closed] = [
      await acceptUnpublished(fresh),
      await acceptUnpublished(served),
      await acceptUnpublished(ended),
    ];

    for (const id of [orphan, unknown, closed]) {
      // Listed as accepted first, as stuck once past its deadline (derived: the row still says accepted).
      const stuck = await eventually(() => listed('status=stuck&agent=demo', id), 15_000);
      expect(stuck).toMatchObject({ status: 'stuck', agent: 'demo', action: 'save_meal', providers: ['webhook'] });
      expect(await listed('status=accepted', id)).toBeUndefined();
      const row = await stack.db.query('SELECT status FROM action_runs WHERE intent_id = $1', [id]);
      expect(row.rows[0].status).toBe('accepted');
    }

    for (const [id, conversationId, reason] of [
      [orphan, fresh, 'session_missing'],
      [unknown, served, 'not_in_session'],
      [closed, ended, 'session_closed'],
    ] as const) {
      const failed = await eventually(() => listed('status=failed&error_code=run_abandoned', id), 30_000);
      expect(failed).toMatchObject({ status: 'failed', errorCode: 'run_abandoned', traceId: 'ab'.repeat(16) });
      const run = await stack.api('GET', `/v1/runs/${id}`);
      expect(run.body).toMatchObject({ status: 'failed', stuck: false, error: { code: 'run_abandoned' } });
      expect(run.body.events.map((e: { kind: string }) => e.kind)).toEqual(['failed']);
      // The result went out on the bus like any other, for waiting callers and event streams.
      const msg = await bus.jsm.direct.getMessage(Streams.Events, {
        last_by_subj: Subjects.result(conversationId, id),
      });
      expect(msg, "the run's result on the stream").not.toBeNull();
      const result = decodeResult(msg!.data);
      expect(result.status).toBe(ActionStatus.FAILED);
      expect(result.error?.code).toBe('run_abandoned');
      expect(orchestratorSays(id).map((l) => [l.msg, l.reason])).toContainEqual([
        'stuck run abandoned: failed with run_abandoned',
        reason,
      ]);
    }
    // The conversation whose session lives goes on.
    const next = await stack.api('POST', `/v1/conversations/${served}/tool-calls`, {
      name: 'save_meal',
      arguments: { meal_type: 'dinner', dishes: ['rice'] },
    });
    expect(next.body.status).toBe('succeeded');
  });

  it('a run its session has is left stuck while its worker is down, and finishes when it is back', async () => {
    const put = await stack.api('PUT', '/v1/agents/slowpoke', {
      instructions: '',
      actions: [
        {
          name: 'log_slowly',
          description: 'Logs through a webhook',
          parameters: [],
          // Budget: one attempt of 1 s; deadline 1 s + the 1 s grace after acceptance.
          actions: [
            { type: 'webhook', endpoint: 'meal_log', payload: {}, timeout_ms: 1000, retry: { max_attempts: 1 } },
          ],
        },
      ],
    });
    expect(put.status).toBe(200);
    const conversationId = await newConversation('slowpoke');
    stack.services.kill('webhook-worker');
    let down = true;
    try {
      const call = await stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, {
        name: 'log_slowly',
        arguments: {},
      });
      expect(call.status).toBe(202);
      const id = call.body.id as string;
      expect(await eventually(() => listed('status=stuck&provider=webhook', id), 15_000)).toMatchObject({
        status: 'stuck',
        agent: 'slowpoke',
      });
      // The sweeper asks the session, which has the intent (running): it leaves the run alone.
      await eventually(
        () =>
          orchestratorSays(id).some((l) => l.msg === 'stuck run left as it is' && l.reason === 'in_session')
            ? true
            : undefined,
        30_000,
      );
      expect(await listed('status=stuck', id)).toBeDefined();
      expect(orchestratorSays(id).some((l) => l.msg.startsWith('stuck run abandoned'))).toBe(false);
      // The gauge alerts fire on counts it too (the other test's runs are all ended by now).
      expect(await stuckGauge()).toBe(1);
      await stack.services.restart('webhook-worker');
      down = false;
      const done = await eventually(() => listed('status=succeeded&agent=slowpoke', id), 30_000);
      expect(done).toMatchObject({ status: 'succeeded', errorCode: null });
      expect(await stuckGauge()).toBe(0);
    } finally {
      if (down) await stack.services.restart('webhook-worker').catch(() => {});
    }
  });

  it('counts what the real path recorded: runs per action, attempts per provider operation', async () => {
    const conversationId = await newConversation();
    const call = await stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, {
      name: 'save_meal',
      arguments: { meal_type: 'breakfast', dishes: ['toast'] },
    });
    expect(call.body.status).toBe('succeeded');
    const run = await stack.db.query(
      'SELECT agent_name, providers, deadline_at > accepted_at AS due FROM action_runs WHERE intent_id = $1',
      [call.body.id],
    );
    expect(run.rows[0]).toEqual({ agent_name: 'demo', providers: ['webhook'], due: true });
    // The webhook worker writes its attempts in batches (about every second).
    const stats = await eventually(async () => {
      const res = await stack.api('GET', '/v1/stats?window=15m');
      expect(res.status).toBe(200);
      const webhook = (res.body.providers as { provider: string; operation: string }[]).find(
        (p) => p.provider === 'webhook' && p.operation === 'webhook',
      );
      return webhook ? res.body : undefined;
    }, 15_000);
    const meals = stats.actions.find(
      (a: { agent: string; action: string }) => a.agent === 'demo' && a.action === 'save_meal',
    );
    // This file's save_meal calls, and the three abandoned runs of the first test.
    expect(meals).toMatchObject({ failures: 3, topErrors: [{ code: 'run_abandoned', count: 3 }] });
    expect(meals.calls).toBeGreaterThanOrEqual(5);
    expect(meals.p50Ms).toBeGreaterThan(0);
  });
});
