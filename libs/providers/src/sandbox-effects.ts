/**
 * Recording the side effects of test calls (sandbox conversations), so that one request can
 * undo them. Provider workers record where the effect happens, through these helpers; a call
 * that is not a test call records nothing.
 */
import type { ProviderActivities, ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import { type Queryable, recordSandboxEffect, type SandboxUndo } from '@switchboard/db';

/**
 * What an operation made, and how to undo it: `undo` names the provider operation (an activity
 * on the same provider's task queue) and its payload; `irreversible` says why it cannot be undone.
 */
export type SandboxEffectNote = {
  /** The provider's id of what was made (booking uid, ticket id, message SID). */
  providerRef?: string;
  /** One line for people, e.g. `Cal.com booking abc123`. */
  description?: string;
} & ({ undo: SandboxUndo } | { irreversible: string });

/**
 * Records the effect of `call` when it is a test call; does nothing otherwise. Idempotent per
 * (intent, step): a retried activity, or one that records before acting and again after, keeps
 * the first record. Call it before the activity returns, so a crash in between is retried by
 * Temporal and the (idempotent) operation records on the retry.
 */
export async function noteSandboxEffect(
  db: Queryable,
  call: ProviderCall,
  provider: string,
  note: SandboxEffectNote,
): Promise<void> {
  if (!call.sandbox) return;
  await recordSandboxEffect(db, {
    tenantId: call.tenantId,
    conversationId: call.conversationId,
    intentId: call.intentId,
    stepPointer: call.stepPointer,
    operation: call.operation,
    provider,
    ...note,
  });
}

/** How a worker describes one operation whose effect cannot be undone. */
export interface IrreversibleEffect {
  provider: string;
  /** Why it cannot be undone, shown to the user, e.g. `a sent SMS cannot be recalled`. */
  reason: string;
  /** The provider's id of what was done, from the operation's result. */
  ref?: (result: JsonValue) => string | undefined;
  /** One line for people, from the call and the result. */
  describe?: (call: ProviderCall, result: JsonValue) => string;
}

/**
 * Wraps the named activities so that, for a test call, a success is recorded as an irreversible
 * effect (the compensation report lists it, nothing tries to undo it). Other activities pass
 * through unchanged.
 */
export function recordIrreversibleEffects(
  db: Queryable,
  activities: ProviderActivities,
  effects: Record<string, IrreversibleEffect>,
): ProviderActivities {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => {
      const effect = effects[name];
      if (effect === undefined) return [name, fn];
      const wrapped = async (call: ProviderCall): Promise<JsonValue> => {
        const result = await fn(call);
        const ref = effect.ref?.(result);
        await noteSandboxEffect(db, call, effect.provider, {
          irreversible: effect.reason,
          ...(ref !== undefined ? { providerRef: ref } : {}),
          description: effect.describe?.(call, result) ?? call.operation,
        });
        return result;
      };
      return [name, wrapped];
    }),
  );
}

/** A string member of a JSON object result, if there is one (for `ref` functions). */
export function resultField(result: JsonValue, key: string): string | undefined {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const value = result[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
