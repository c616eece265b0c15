/**
 * The `ledger` agent and one long conversation with it, shared by the end-to-end test of a
 * session that continues-as-new (`e2e/continued-session.test.ts`), the time-skipping tests and
 * the history recorder (`tools/record-histories.ts`), so the corpus replays what the test checks.
 *
 * Every `note` appends its number to the conversation's ledger (the session's chain state),
 * counts the entries and posts both to the sink's `/ledger`: the sink's log is the list of
 * effects, and `seen` in a note's delivery is where the session had the ledger then. A `commit`
 * posts its label there, after the user's confirmation.
 */
import {
  intentSignal,
  type SessionInput,
  type SessionIntent,
  type SessionSnapshot,
  sessionStateQuery,
  sessionWorkflowId,
  TaskQueues,
  WorkflowTypes,
} from '@switchboard/contracts';
import type { Client } from '@temporalio/client';
import type { ApiResponse, TestStack } from './stack.js';

/** Intents a session handles per run before it continues-as-new (`MAX_INTENTS_PER_RUN`). */
export const INTENTS_PER_RUN = 100;

/** Registers the sink's `/ledger` endpoint and the `ledger` agent. */
export async function putLedgerAgent(stack: TestStack): Promise<void> {
  const endpoint = await stack.api('PUT', '/v1/endpoints/ledger', {
    url: `${stack.sink.url}/ledger`,
    allow_private: true,
  });
  if (endpoint.status >= 300) throw new Error(`ledger endpoint: ${JSON.stringify(endpoint.body)}`);
  const count = { type: 'transform', input: 'context.ledger', expression: 'input.length', output: 'context.count' };
  const agent = await stack.api('PUT', '/v1/agents/ledger', {
    instructions: "Use 'note' to note a number and 'commit' to commit the ledger under a label.",
    actions: [
      {
        name: 'note',
        description: 'Notes a number in the ledger.',
        parameters: [{ name: 'n', type: 'number', required: true }],
        actions: [
          { type: 'context.set', key: 'ledger[+]', value: 'params.n' },
          count,
          { type: 'webhook', endpoint: 'ledger', payload: { n: 'params.n', seen: 'context.count' } },
        ],
        on_success: [{ type: 'respond', message: 'Noted {{params.n}} as entry {{context.count}}.' }],
      },
      {
        // Typed format: the one that carries require_user_confirmation. Posts its arguments.
        name: 'commit',
        description: 'Commits the ledger under a label, once the user confirmed.',
        target: 'webhook://ledger',
        inputs: { label: { type: 'string', description: 'The label', is_required: true } },
        outputs: { ok: { type: 'boolean', description: 'Whether the commit went through' } },
        require_user_confirmation: true,
      },
    ],
  });
  if (agent.status !== 200) throw new Error(`ledger agent: ${JSON.stringify(agent.body)}`);
}

/** A delivery the sink's `/ledger` received: a note's number and its ledger entry, or a commit's label. */
export interface LedgerDelivery {
  n?: number;
  seen?: number;
  label?: string;
}

/** What the sink's `/ledger` received, in arrival order. */
export function ledgerDeliveries(stack: TestStack): LedgerDelivery[] {
  return stack.sink
    .requests()
    .filter((r) => r.path === '/ledger')
    .map((r) => r.body as LedgerDelivery);
}

/** Tool calls of one ledger conversation. */
export function ledgerCalls(stack: TestStack, conversationId: string) {
  const call = (name: string, args: Record<string, unknown>, key: string) =>
    stack.api(
      'POST',
      `/v1/conversations/${conversationId}/tool-calls`,
      { name, arguments: args },
      { 'idempotency-key': key },
    );
  return {
    note: (n: number, key = `note-${n}`) => call('note', { n }, key),
    commit: (label: string, key = `commit-${label}`) => call('commit', { label }, key),
    confirm: (intentId: string) =>
      stack.api('POST', `/v1/conversations/${conversationId}/tool-calls/${intentId}/confirmation`, {
        confirmed: true,
      }),
  };
}

/**
 * One call as the conversation made it. `sent` and `answered` number the calls' requests and
 * answers in the order the driver made and got them (a logical clock, not time): an entry
 * answered before another was sent must come first in the ledger. A commit is sent with its
 * confirmation and answered with the confirmation's answer.
 */
export interface LedgerCall {
  kind: 'note' | 'commit';
  n?: number;
  label?: string;
  sent: number;
  answered: number;
  response: ApiResponse;
}

/** A commit whose confirmation waited across a continue-as-new. */
export interface ParkedCommit {
  label: string;
  intentId: string;
  /** Its first answer (`awaiting_confirmation`), the answer to its key sent again while it waited, and the confirmation's. */
  asked: ApiResponse;
  repeated: ApiResponse;
  confirmed: ApiResponse;
  /** Session runs (index into {@link LongConversation.runs}) where it was asked and where it ran. */
  askedInRun: number;
  confirmedInRun: number;
}

/** The record of {@link driveLongConversation}, for the test's assertions (the recorder only needs it to finish). */
export interface LongConversation {
  conversationId: string;
  workflowId: string;
  /** Run ids of the session, first to last, as observed while driving. */
  runs: string[];
  calls: LedgerCall[];
  parked: ParkedCommit[];
  /** A finished note's Idempotency-Key sent again after two continue-as-new: the first and the repeated answer. */
  repeatedKey: { first: ApiResponse; repeated: ApiResponse };
  /** Intents of the first run delivered to the session again after two continue-as-new (a redelivery). */
  redelivered: string[];
  /** What each run after the first started with: the intents still pending and those parked (ids). */
  carried: { pending: string[]; parked: string[] }[];
  /** The session's state query after the last call. */
  finalSnapshot: SessionSnapshot;
}

/**
 * Drives one `ledger` conversation across two continue-as-new boundaries of its session
 * (more than 200 intents): a commit asked before each boundary is confirmed after it, its
 * Idempotency-Key sent again while it waits; notes go one by one and in concurrent bursts (so
 * intents are still pending when the session continues); after the second boundary a first-run
 * note's key is sent again, and two first-run intents are delivered to the session again as an
 * orchestrator would after a crash. Throws when the session does not behave as a session must
 * for the drive to go on; the test asserts the rest on the record.
 */
export async function driveLongConversation(stack: TestStack, client: Client): Promise<LongConversation> {
  await putLedgerAgent(stack);
  const conv = await stack.api('POST', '/v1/conversations', { agent: 'ledger' });
  if (conv.status !== 201) throw new Error(`conversation: ${JSON.stringify(conv.body)}`);
  const conversationId = conv.body.id as string;
  const workflowId = sessionWorkflowId(stack.seed.tenantId, conversationId);
  const api = ledgerCalls(stack, conversationId);
  const calls: LedgerCall[] = [];
  let clock = 0;
  let next = 1;

  const note = async (n: number) => {
    const sent = ++clock;
    const response = await api.note(n);
    if (response.body?.status !== 'succeeded') throw new Error(`note ${n}: ${JSON.stringify(response.body)}`);
    calls.push({ kind: 'note', n, sent, answered: ++clock, response });
  };
  const notes = async (count: number, concurrently: boolean) => {
    const ns = Array.from({ length: count }, () => next++);
    if (concurrently) await Promise.all(ns.map(note));
    else for (const n of ns) await note(n);
  };
  const session = () => client.workflow.getHandle(workflowId);
  const runs = [
    (
      await session()
        .describe()
        .catch(() => undefined)
    )?.runId,
  ].filter((r): r is string => !!r);
  const currentRun = async () => {
    const runId = (await session().describe()).runId;
    if (runs.at(-1) !== runId) runs.push(runId);
    return runs.length - 1;
  };
  /** Notes (in bursts, so intents wait in the session) until the session has continued-as-new. */
  const untilContinued = async () => {
    const before = await currentRun();
    for (let burst = 0; (await currentRun()) === before; burst++) {
      if (burst >= 10) throw new Error(`no continue-as-new after ${calls.length} calls`);
      await notes(4, true);
    }
  };
  /** Notes one by one until the session's run has handled `handled` intents. */
  const untilHandled = async (handled: number) => {
    while ((await session().query(sessionStateQuery)).processed < handled) await notes(1, false);
  };
  const parkAcross = async (label: string): Promise<ParkedCommit> => {
    const asked = await api.commit(label);
    if (asked.body?.status !== 'awaiting_confirmation')
      throw new Error(`commit ${label}: ${JSON.stringify(asked.body)}`);
    const askedInRun = await currentRun();
    await untilContinued();
    const repeated = await api.commit(label);
    const sent = ++clock;
    const confirmed = await api.confirm(asked.body.id);
    if (confirmed.body?.status !== 'succeeded') throw new Error(`confirm ${label}: ${JSON.stringify(confirmed.body)}`);
    calls.push({ kind: 'commit', label, sent, answered: ++clock, response: confirmed });
    return {
      label,
      intentId: asked.body.id,
      asked,
      repeated,
      confirmed,
      askedInRun,
      confirmedInRun: await currentRun(),
    };
  };

  await notes(1, false);
  await currentRun();
  await untilHandled(INTENTS_PER_RUN - 5);
  const first = await parkAcross('A');
  await untilHandled(INTENTS_PER_RUN - 5);
  const second = await parkAcross('B');

  // After the second boundary: a first-run call's key again, and first-run intents redelivered.
  const early = calls.find((c) => c.n === 5) as LedgerCall;
  const repeated = await api.note(5);
  const redeliver = [early.response.body.id as string, first.intentId];
  const firstRun = await client.workflow.getHandle(workflowId, runs[0]).fetchHistory();
  const redelivered: string[] = [];
  for (const event of firstRun.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    const data = signal?.signalName === intentSignal.name ? signal.input?.payloads?.[0]?.data : undefined;
    const intent = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as SessionIntent) : undefined;
    if (intent === undefined || !redeliver.includes(intent.intentId)) continue;
    await client.workflow.signalWithStart(WorkflowTypes.ConversationSession, {
      workflowId,
      taskQueue: TaskQueues.Chains,
      args: [{ tenantId: intent.tenantId, conversationId }],
      signal: intentSignal,
      signalArgs: [intent],
    });
    redelivered.push(intent.intentId);
  }
  if (redelivered.length !== redeliver.length) throw new Error(`first-run intents not found: ${redeliver}`);
  // Handled after the redelivered intents (one session, signal order): whatever they did is done.
  await notes(5, false);
  await currentRun();
  const carried = [];
  for (const runId of runs.slice(1)) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const input = (data ? JSON.parse(Buffer.from(data).toString('utf8')) : {}) as SessionInput;
    carried.push({
      pending: (input.carried?.pending ?? []).map((i) => i.intentId),
      parked: (input.carried?.parked ?? []).map((p) => (p as { intent: SessionIntent }).intent.intentId),
    });
  }
  return {
    conversationId,
    workflowId,
    runs,
    calls,
    parked: [first, second],
    repeatedKey: { first: early.response, repeated },
    redelivered,
    carried,
    finalSnapshot: await session().query(sessionStateQuery),
  };
}
