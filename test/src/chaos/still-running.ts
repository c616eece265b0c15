/**
 * What was still running when a chaos run failed: the runs not terminal (with their last event
 * on the events stream and their session's pending activities), the intents JetStream still
 * holds for the orchestrator, and the open workflows by type. Every look is bounded and may
 * fail on its own (a service may be down mid-restart): the report says so and goes on.
 */
import type { Bus } from '@switchboard/bus';
import { ActionEventKind, decodeEvent, Streams, Subjects, sessionWorkflowId } from '@switchboard/contracts';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { intentBacklog } from '../support/intent-consumers.js';
import { openWorkflowsByType } from '../support/temporal.js';

/** Where the report looks. */
export interface StillRunningSources {
  db: pg.Pool;
  bus: Bus;
  temporal: Client;
  tenantId: string;
  /** Chains the client had not finished (index → what it was doing), when the run did not end. */
  chainsInFlight: ReadonlyMap<number, string>;
}

const LOOK_MS = 10_000;

/** `fn`, or what went wrong, within {@link LOOK_MS}. */
async function look<T>(what: string, fn: () => Promise<T>): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`(${what}: no answer within ${LOOK_MS / 1000} s)`), LOOK_MS);
      }),
    ]);
  } catch (err) {
    return `(${what}: ${err instanceof Error ? err.message : String(err)})`;
  } finally {
    clearTimeout(timer);
  }
}

interface OpenRun {
  intent_id: string;
  conversation_id: string;
  action_name: string;
  status: string;
  accepted_at: Date;
}

/** The report, as lines (at most `limit` runs in detail). */
export async function stillRunning(s: StillRunningSources, limit = 10): Promise<string[]> {
  const lines: string[] = [];
  if (s.chainsInFlight.size > 0) {
    const some = [...s.chainsInFlight].slice(0, limit).map(([i, doing]) => `${i}: ${doing}`);
    lines.push(`chains the client had not finished: ${s.chainsInFlight.size} (${some.join('; ')})`);
  }

  const runs = await look('runs not terminal', async () => {
    const { rows } = await s.db.query<OpenRun>(
      `SELECT intent_id, conversation_id, action_name, status, accepted_at FROM action_runs
        WHERE tenant_id = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled')
        ORDER BY accepted_at LIMIT 1000`,
      [s.tenantId],
    );
    return rows;
  });
  if (typeof runs === 'string') lines.push(runs);
  else {
    lines.push(`runs not terminal: ${runs.length}`);
    for (const run of runs.slice(0, limit)) {
      const last = await look('last event', () => lastEvent(s.bus, run.conversation_id, run.intent_id));
      const session = await look('session', () => sessionState(s.temporal, s.tenantId, run.conversation_id));
      lines.push(
        `  ${run.intent_id} ${run.action_name} ${run.status} since ${run.accepted_at.toISOString()} ` +
          `(conversation ${run.conversation_id}); last event: ${last}; session: ${session}`,
      );
    }
  }

  const consumer = await look('orchestrator consumer', async () => {
    const info = await intentBacklog(s.bus.jsm);
    return `pending ${info.pending}, unacked ${info.ackPending}, redelivered ${info.redelivered}`;
  });
  lines.push(`intents JetStream holds for the orchestrator: ${consumer}`);

  const open = await look('open workflows', () => openWorkflowsByType(s.temporal));
  lines.push(`open workflows: ${open}`);
  return lines;
}

async function lastEvent(bus: Bus, conversationId: string, intentId: string): Promise<string> {
  const m = await bus.jsm.streams
    .getMessage(Streams.Events, { last_by_subj: Subjects.event(conversationId, intentId) })
    .catch(() => null);
  if (m === null) return 'none';
  const e = decodeEvent(m.data);
  const kind = (ActionEventKind[e.kind] ?? 'UNSPECIFIED').toLowerCase();
  return `#${e.seq} ${kind} ${JSON.stringify(e.data ?? {}).slice(0, 200)} at ${m.time.toISOString()}`;
}

/** The session workflow's status and what it is waiting for (pending activities). */
async function sessionState(client: Client, tenantId: string, conversationId: string): Promise<string> {
  const d = await client.workflow.getHandle(sessionWorkflowId(tenantId, conversationId)).describe();
  const pending = (d.raw.pendingActivities ?? []).map(
    (a) =>
      `${a.activityType?.name ?? '?'} attempt ${a.attempt ?? '?'}` +
      (a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message.slice(0, 200)})` : ''),
  );
  return `${d.status.name}, ${d.historyLength} events, pending activities: ${pending.length > 0 ? pending.join(', ') : 'none'}`;
}
