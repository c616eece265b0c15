/**
 * Temporal names and message definitions shared by the orchestrator (client side) and the
 * workflows (server side). The same objects are imported on both sides.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Task queues: one for the chain workflows, one per provider family. */
export const TaskQueues = {
  Chains: 'switchboard-chains',
  Webhook: 'switchboard-webhook',
  Calcom: 'switchboard-calcom',
  Telephony: 'switchboard-telephony',
  Crm: 'switchboard-crm',
} as const;
export type TaskQueue = (typeof TaskQueues)[keyof typeof TaskQueues];

/** Workflow type names (the exported function names in `@switchboard/chains/workflows`). */
export const WorkflowTypes = {
  ConversationSession: 'conversationSession',
} as const;

/** Workflow id of a conversation's session: one per tenant + conversation. */
export function sessionWorkflowId(tenantId: string, conversationId: string): string {
  return `session:${tenantId}:${conversationId}`;
}

/**
 * An intent as the session workflow receives it: plain JSON (Temporal payloads), converted
 * from the protobuf `ActionIntent` by the orchestrator.
 */
export interface SessionIntent {
  intentId: string;
  tenantId: string;
  conversationId: string;
  agentName: string;
  actionName: string;
  arguments: Record<string, unknown>;
  /** Canonical action definition (see `@switchboard/actions`). */
  action: Record<string, unknown>;
  callContext: Record<string, unknown>;
  /** Epoch milliseconds at which the conversation service accepted the call. */
  createdAtMs: number;
  traceparent: string;
  tracestate: string;
  sandbox: boolean;
}

/** Input of a new (or continued-as-new) session workflow. */
export interface SessionInput {
  tenantId: string;
  conversationId: string;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: {
    state: Record<string, unknown>;
    recentIntentIds: string[];
    pending: SessionIntent[];
  };
}

/** Snapshot returned by the state query. */
export interface SessionSnapshot {
  state: Record<string, unknown>;
  processed: number;
  pending: number;
  recentIntentIds: string[];
}

/** Delivers an intent to a conversation's session (used with signal-with-start). */
export const intentSignal = defineSignal<[SessionIntent]>('intent');
/** Ends the session after the pending intents are done. */
export const endSessionSignal = defineSignal<[]>('endSession');
/** Reads the session state (context, flags, remembered outputs) and counters. */
export const sessionStateQuery = defineQuery<SessionSnapshot>('state');

/**
 * Which task queue serves a provider operation, by its family prefix. `session.*` operations
 * are not activities: the session workflow answers them itself (they only emit call-control
 * events to the voice runtime).
 */
export function taskQueueForOperation(operation: string): TaskQueue | 'session' | undefined {
  const family = operation.slice(0, operation.indexOf('.'));
  switch (family) {
    case 'calcom':
      return TaskQueues.Calcom;
    case 'sms':
    case 'telephony':
      return TaskQueues.Telephony;
    case 'crm':
      return TaskQueues.Crm;
    case 'http':
      return TaskQueues.Webhook;
    case 'session':
      return 'session';
    default:
      return undefined;
  }
}
