/**
 * The exactly-once effect record: the protocol every worker follows for an effect the
 * provider cannot de-duplicate itself (no idempotency key).
 *
 * 1. Claim the effect (`effect_records`, key `<intent>:<step>`) before acting. A `done` record
 *    answers with its recorded result: the effect happened, nothing is sent again.
 * 2. A `started` record is an earlier attempt's: it may or may not have reached the provider,
 *    so the operation looks (by the reference it noted, or at the provider) before acting.
 * 3. Send; note the provider's reference the moment it is known.
 * 4. Complete with the result (and reference): later attempts answer with it.
 * 5. Release the claim only when the attempt certainly changed nothing at the provider; an
 *    ambiguous failure (timeout, dropped connection, 5xx) keeps it, and step 2 runs on the retry.
 *
 * Which failures prove that nothing was applied depends on the provider, so the operation
 * decides when to release ({@link EffectClaim.release}, {@link EffectClaim.releaseIfFresh});
 * the protocol does the rest.
 */
import { effectKey, type ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import {
  claimEffect,
  completeEffect,
  type EffectRecord,
  noteEffectRef,
  type Queryable,
  releaseEffect,
} from '@switchboard/db';

/** The claim of one effect, as the operation holds it while acting. */
export interface EffectClaim {
  /** `<intent>:<step>`. */
  readonly key: string;
  /** The earlier attempt's `started` record; `undefined` when this attempt made the claim. */
  readonly earlier: EffectRecord | undefined;
  /** Notes the provider's reference (or the operation's progress) on the record. */
  noteRef(ref: string): Promise<void>;
  /** Reads the record again (a concurrent attempt may have finished meanwhile). */
  reread(): Promise<EffectRecord | undefined>;
  /** Releases the claim: this attempt certainly changed nothing at the provider. */
  release(): Promise<void>;
  /** Releases the claim when this attempt made it; an earlier attempt's claim stays. */
  releaseIfFresh(): Promise<void>;
}

/** What the operation did: the result to record and return, and the provider's reference. */
export interface EffectDone<T extends JsonValue> {
  result: T;
  ref?: string | undefined;
}

/**
 * Runs `perform` exactly once per (intent, step) under the effect record (see the module doc):
 * a `done` record answers with its result without calling `perform`; otherwise `perform` acts
 * and the record is completed with what it returns.
 */
export async function runEffectOnce<T extends JsonValue>(
  db: Queryable,
  call: Pick<ProviderCall, 'tenantId' | 'intentId' | 'stepPointer' | 'operation'>,
  perform: (claim: EffectClaim) => Promise<EffectDone<T>>,
): Promise<T> {
  const key = effectKey(call);
  const tenantId = call.tenantId;
  const earlier = await claimEffect(db, tenantId, key, call.operation);
  if (earlier?.state === 'done' && earlier.result !== null) return earlier.result as T;
  const claim: EffectClaim = {
    key,
    earlier,
    noteRef: (ref) => noteEffectRef(db, tenantId, key, ref),
    reread: () => claimEffect(db, tenantId, key, call.operation),
    release: () => releaseEffect(db, tenantId, key),
    releaseIfFresh: async () => {
      if (earlier === undefined) await releaseEffect(db, tenantId, key);
    },
  };
  const { result, ref } = await perform(claim);
  await completeEffect(db, tenantId, key, result, ref);
  return result;
}
