/**
 * Contracts of the automatic clean-up of a test call: when a sandbox conversation ends (by
 * `POST …/end` or its session's idle timeout) its session workflow runs the sandbox
 * compensation as a durable step, unless the call or its agent says `keep_effects`, and records
 * what it did on the conversation. The orchestrator serves the activities (database access).
 */
import type { TaskQueueNames } from '@switchboard/contracts/temporal';
import type { CompensationItem } from './sandbox-compensation.js';

/** Why the session ended: `POST …/end` (an END control), or no tool call for the idle timeout. */
export type TestCallEndTrigger = 'ended' | 'idle';

/**
 * What the automatic clean-up did, as `GET …/sandbox-effects` shows it (`cleanup`):
 * - `undone`: every effect that can be undone was (`undone` lists what this clean-up undid);
 * - `incomplete`: some could not be (`failed`, with reasons; `POST …/compensate` tries again);
 * - `kept`: `keep_effects` said to leave them (nothing was undone).
 * `irreversible` lists what can never be undone (a sent SMS, a transfer, a custom HTTP call).
 */
export interface TestCallCleanup {
  status: 'undone' | 'incomplete' | 'kept';
  trigger: TestCallEndTrigger;
  undone: CompensationItem[];
  irreversible: CompensationItem[];
  failed: CompensationItem[];
  /** When it finished (ISO 8601, workflow time). */
  at: string;
}

/** What ending the conversation does about its side effects (decided when it ends). */
export interface TestCallEndDecision {
  sandbox: boolean;
  keepEffects: boolean;
  /** The deployment's task queues (the undo operations run there); default names when absent. */
  taskQueues?: TaskQueueNames;
}

/** Activities of the clean-up step, on the chains task queue (served by the orchestrator). */
export interface TestCallCleanupActivities {
  /** Whether the conversation is a test call and whether it keeps its effects. */
  testCallEndPolicy(input: { tenantId: string; conversationId: string }): Promise<TestCallEndDecision>;
  /** Stores what the clean-up did on the conversation. */
  recordTestCallCleanup(input: { tenantId: string; conversationId: string; cleanup: TestCallCleanup }): Promise<void>;
}
