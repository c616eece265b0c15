/**
 * Contracts of the sandbox compensation: undoing every side effect of a test call (sandbox
 * conversation), newest first. The workflow imports these as types only; the orchestrator
 * implements the activities and starts the workflow; the conversation service reads the same
 * records to show them.
 */
import type { JsonValue } from '@switchboard/common';
import type { TaskQueueNames } from '@switchboard/contracts/temporal';

/** Workflow type name of {@link SandboxCompensationInput} runs (`sandboxCompensation`). */
export const SANDBOX_COMPENSATION_WORKFLOW = 'sandboxCompensation';

/**
 * Workflow id of a conversation's compensation: one per (tenant, conversation), so a second
 * request while one runs joins it, and one after it finished runs again (finding only what was
 * left or recorded since).
 */
export function sandboxCompensationWorkflowId(tenantId: string, conversationId: string): string {
  return `sandbox-compensation:${tenantId}:${conversationId}`;
}

/** Input of the compensation workflow. */
export interface SandboxCompensationInput {
  tenantId: string;
  conversationId: string;
  /** The control message that asked for it (for tracing; not used for de-duplication). */
  controlId?: string;
  /** The deployment's task queues (the undo operations run there); default names when absent. */
  taskQueues?: TaskQueueNames;
}

/** A recorded effect as the workflow sees it (plain JSON). */
export interface SandboxEffectView {
  /** Creation order (a bigint, as text). */
  id: string;
  intentId: string;
  stepPointer: string;
  operation: string;
  provider: string;
  providerRef: string | null;
  description: string;
  undo: { operation: string; payload: JsonValue } | null;
  state: 'pending' | 'undone' | 'failed' | 'irreversible';
  reason: string | null;
}

/** One effect in a {@link CompensationReport}. */
export interface CompensationItem {
  id: string;
  operation: string;
  provider: string;
  providerRef: string | null;
  description: string;
  /** Why it is irreversible, why its undo failed (code: message), or a note on how it was undone. */
  reason: string | null;
}

/** What a compensation did. */
export interface CompensationReport {
  /** Undone by this run, in the order they were undone (newest effect first). */
  undone: CompensationItem[];
  /** Every effect of the conversation that cannot be undone. */
  irreversible: CompensationItem[];
  /** Effects this run could not undo; a later compensation tries them again. */
  failed: CompensationItem[];
}

/** Activities of the compensation workflow, served by the orchestrator (database access). */
export interface SandboxCompensationActivities {
  /** Every recorded effect of the conversation, newest first. */
  listSandboxEffects(input: { tenantId: string; conversationId: string }): Promise<SandboxEffectView[]>;
  /** Marks an effect undone or failed; an already undone effect stays undone. */
  markSandboxEffect(input: {
    tenantId: string;
    id: string;
    state: 'undone' | 'failed';
    reason?: string;
  }): Promise<void>;
}
