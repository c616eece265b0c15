/**
 * Undoes every side effect of a test call (sandbox conversation), newest first, and reports what
 * was undone, what cannot be undone and what failed.
 *
 * The effects were recorded by the provider workers where they happened (`sandbox_effects`);
 * each names the provider operation that undoes it. Undo operations are idempotent (cancelling
 * a cancelled booking, archiving an archived ticket change nothing), and a row is marked only
 * after its undo succeeded, so a compensation retried or re-run after a crash simply finds the
 * rows still to do. One failing undo does not stop the others: it is marked `failed` with the
 * reason, and the next compensation tries it again.
 */
import { TaskQueues } from '@switchboard/contracts/temporal';
import { operationFamily } from '@switchboard/operations';
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ProviderCall } from '../activity-types.js';
import type {
  CompensationItem,
  CompensationReport,
  SandboxCompensationActivities,
  SandboxCompensationInput,
  SandboxEffectView,
} from '../sandbox-compensation.js';
import { providerQueues } from './provider-queues.js';

/**
 * Listing again after a pass catches effects recorded meanwhile (a tool call still running
 * when the compensation started); bounded, so a conversation still in use cannot keep it alive.
 */
const MAX_PASSES = 3;

/** Failure types meaning the thing to undo no longer exists: nothing is left to undo. */
const ALREADY_GONE = new Set(['provider_not_found']);

const records = proxyActivities<SandboxCompensationActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

const providerQueue = providerQueues({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 6,
  },
});

type UndoOutcome = { ok: true; note: string | undefined } | { ok: false; reason: string };

async function undo(input: SandboxCompensationInput, effect: SandboxEffectView): Promise<UndoOutcome> {
  const operation = effect.undo?.operation ?? '';
  const family = operationFamily(operation);
  if (effect.undo === null || family === undefined || family === 'session') {
    return { ok: false, reason: `unsupported_undo: no worker serves '${operation}'` };
  }
  const queue = (input.taskQueues ?? TaskQueues)[family];
  const call: ProviderCall = {
    tenantId: input.tenantId,
    intentId: effect.intentId,
    conversationId: input.conversationId,
    // Its own step key: an undo must never meet the original effect's idempotency record.
    stepPointer: `${effect.stepPointer}#undo`,
    operation,
    payload: effect.undo.payload,
    // The undo itself is not an effect of the test call to record.
    sandbox: false,
  };
  try {
    await providerQueue(queue)[operation]!(call);
    return { ok: true, note: undefined };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure) {
      if (cause.type && ALREADY_GONE.has(cause.type)) return { ok: true, note: 'already gone at the provider' };
      return { ok: false, reason: `${cause.type ?? 'activity_failed'}: ${cause.message}` };
    }
    return { ok: false, reason: `activity_failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const item = (e: SandboxEffectView, reason: string | null): CompensationItem => ({
  id: e.id,
  operation: e.operation,
  provider: e.provider,
  providerRef: e.providerRef,
  description: e.description,
  reason,
});

export async function sandboxCompensation(input: SandboxCompensationInput): Promise<CompensationReport> {
  const { tenantId, conversationId } = input;
  const undone: CompensationItem[] = [];
  const failed: CompensationItem[] = [];
  // An effect whose undo failed in this run is not tried again by the same run.
  const attempted = new Set<string>();
  let effects: SandboxEffectView[] = [];
  for (let pass = 0; ; pass++) {
    effects = await records.listSandboxEffects({ tenantId, conversationId });
    const todo = effects.filter(
      (e) => (e.state === 'pending' || e.state === 'failed') && e.undo !== null && !attempted.has(e.id),
    );
    if (todo.length === 0 || pass >= MAX_PASSES) break;
    // Newest first: a later effect may depend on an earlier one (a reschedule of a booking).
    for (const effect of todo) {
      attempted.add(effect.id);
      const outcome = await undo(input, effect);
      if (outcome.ok) {
        await records.markSandboxEffect({
          tenantId,
          id: effect.id,
          state: 'undone',
          ...(outcome.note ? { reason: outcome.note } : {}),
        });
        undone.push(item(effect, outcome.note ?? null));
      } else {
        await records.markSandboxEffect({ tenantId, id: effect.id, state: 'failed', reason: outcome.reason });
        failed.push(item(effect, outcome.reason));
      }
    }
  }
  const irreversible = effects.filter((e) => e.state === 'irreversible').map((e) => item(e, e.reason));
  return { undone, irreversible, failed };
}
