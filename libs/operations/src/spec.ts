/**
 * What one provider operation is: its name, the worker family (and so the task queue) that
 * serves it, how its payload is parsed, what it returns, and the traits of its side effect
 * that the session workflow and the workers act on.
 *
 * Workflow-safe: no Node built-ins, nothing that does I/O; the session workflow imports it.
 */
import { SwitchboardError } from '@switchboard/common/errors';
import type { ProviderFamily } from '@switchboard/contracts/temporal';

/** Who serves an operation: a provider worker family, or the session workflow itself. */
export type OperationFamily = ProviderFamily | 'session';

/** What the voice runtime is told to do after the effect succeeded (a `call_control` event). */
export type CallControlAction = 'transfer' | 'end_call' | 'pause_inactivity' | 'resume_inactivity';

/**
 * How an operation is kept from acting twice when Temporal retries it:
 * - `none`: it changes nothing (a read), repeating it is harmless;
 * - `idempotent`: repeating it has the same effect (an archive, a PATCH of fixed values);
 * - `provider-key`: the provider is asked with a key derived from (intent, step) and the worker
 *   looks the key up before acting again (Cal.com booking metadata);
 * - `effect-record`: the worker's exactly-once effect record (`effect_records`: claim, send,
 *   note the provider's reference, complete or release; see `@switchboard/providers`);
 * - `receiver-key`: the receiver gets an `Idempotency-Key` and is trusted to drop repeats.
 */
export type ExactlyOnce = 'none' | 'idempotent' | 'provider-key' | 'effect-record' | 'receiver-key';

/** How a test call's effect is undone (see the sandbox compensation workflow). */
export type Reversibility =
  | { reversible: false; why: string }
  /** Undone by running `undo` (an operation of the same family) with the recorded payload. */
  | { reversible: true; undo: readonly string[]; how: string };

/** The traits of an operation's side effect. */
export interface EffectTraits {
  /** The runtime owns the call leg: it must act on the effect's success (`call_control`). */
  callControl?: CallControlAction;
  /**
   * Not run when the chain reaches it: it would cut off the final message. It runs once the
   * runtime reports the message delivered (or after a bounded wait), after the outcome.
   */
  deferredUntilDelivered?: boolean;
  /** Its result is a booking the session keeps until an SMS confirms it (see the lifecycle). */
  tracksBooking?: boolean;
  /** Sending it to a number starts the lifecycles of the bookings the session kept for it. */
  startsBookingLifecycles?: boolean;
  /**
   * It cancels or moves a booking: once the outcome is out, the session tells the lifecycle of
   * that booking (its reminders stop, or move with it). The result is a booking state with
   * `booking_lineage` (see `CalcomBookingChange` in `calcom.ts`).
   */
  changesBooking?: 'cancelled' | 'rescheduled';
  /**
   * Result statuses that mean the effect did not happen (the caller is still with us), so the
   * step fails with `<code prefix><status>` and the chain's fallback runs.
   */
  failsOnStatus?: {
    statuses: readonly string[];
    /** The failure's code is this prefix and the status (`-` as `_`). */
    codePrefix: string;
    /** What ended, for the failure's message when the result has no `detail` (`the transfer`). */
    subject: string;
  };
  /** How a test call's effect is undone. */
  reversibility: Reversibility;
  exactlyOnce: ExactlyOnce;
}

/**
 * One provider operation. `I` is the parsed payload the worker's implementation takes, `R` the
 * result it returns (a JSON object).
 */
export interface OperationSpec<I = unknown, R = unknown> {
  /** `family.operation`, e.g. `calcom.book`. */
  readonly name: string;
  readonly family: OperationFamily;
  /** One line on what it does at the provider. */
  readonly summary: string;
  readonly traits: EffectTraits;
  /**
   * Checks a resolved payload completely and returns it typed; throws a non-retryable
   * `provider_invalid_input` {@link SwitchboardError} (see {@link invalidPayload}). Absent
   * where the worker still parses the payload itself.
   */
  readonly parse?: (payload: unknown) => I;
  /** Type-level only: the result type (never set). */
  readonly result?: R;
}

/** Stable code of a payload that failed its operation's parser. */
export const INVALID_PAYLOAD = 'provider_invalid_input';

/**
 * The failure of a payload that cannot be sent: non-retryable (the same payload can never
 * pass), `provider_invalid_input`, with `details` saying where.
 */
export function invalidPayload(message: string, details?: Record<string, unknown>): SwitchboardError {
  return new SwitchboardError(INVALID_PAYLOAD, message, {
    retryable: false,
    ...(details !== undefined ? { details } : {}),
  });
}

/** Declares an operation (identity; for inference of `I` and `R`). */
export function defineOperation<I, R>(spec: OperationSpec<I, R>): OperationSpec<I, R> {
  return spec;
}

/** Effect traits of an operation that only reads. */
export const READ_ONLY: EffectTraits = {
  reversibility: { reversible: false, why: 'it changes nothing' },
  exactlyOnce: 'none',
};
