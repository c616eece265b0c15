/**
 * The confirmation gate of an action with `require_user_confirmation`: ask the user, then either
 * set the intent aside (the session parks it) or act on the answer, a cancel or the timeout.
 */
import type { CanonicalAction } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import type { SessionIntent, SessionSettings } from '@switchboard/contracts/temporal';
import type { FinalOutcome } from '../../activity-types.js';
import type { IntentTrace } from './intent-trace.js';
import { waitForAnswerInsideChain } from './legacy.js';
import type { OutcomePublisher, PublishedSoFar } from './outcome.js';
import type { Controls } from './state.js';

/** What an intent published before it was set aside to wait for the user's confirmation. */
export interface AskedConfirmation extends PublishedSoFar {
  /** The chain span the first part ran under (absent without a trace). */
  chainSpanId?: string;
}

/** How an intent treats `require_user_confirmation`. */
export type ConfirmationGate =
  /** Ask, then wait inside the chain (sessions from before the `confirmation-parking` patch). */
  | { mode: 'block' }
  /** Ask, then return `awaiting_confirmation`: the session parks the intent. */
  | { mode: 'ask' }
  /** A parked intent was answered (or cancelled), or its time ran out: act on that. */
  | { mode: 'answered' | 'expired'; asked: AskedConfirmation };

/** The first part of a parked intent, when `gate` is its second part. */
export function askedBefore(gate: ConfirmationGate): AskedConfirmation | undefined {
  return gate.mode === 'answered' || gate.mode === 'expired' ? gate.asked : undefined;
}

/** What the gate let through: the chain runs, the intent is set aside, or it ended here (published). */
export type GateVerdict =
  | { verdict: 'run' }
  | { verdict: 'asked'; asked: AskedConfirmation }
  | { verdict: 'refused'; status: 'cancelled' | 'failed'; error: NonNullable<FinalOutcome['error']> };

/**
 * Passes an action that needs the user's confirmation through `gate`: asks (unless this is the
 * second part of a parked intent), then returns the verdict. A refusal (declined, cancelled,
 * timed out) has published its outcome already.
 */
export async function passConfirmation(
  intent: SessionIntent,
  action: CanonicalAction,
  settings: SessionSettings,
  controls: Controls,
  gate: ConfirmationGate,
  out: OutcomePublisher,
  trace: IntentTrace | undefined,
): Promise<GateVerdict> {
  if (askedBefore(gate) === undefined) {
    out.emit({
      kind: 'confirmation_required',
      data: {
        action: intent.actionName,
        label: action.label ?? intent.actionName,
        arguments: intent.arguments as JsonValue,
        timeout_ms: settings.confirmationTimeoutMs,
      },
    });
    await out.flush();
  }
  if (gate.mode === 'ask') {
    const asking: AskedConfirmation = out.soFar();
    if (trace !== undefined) asking.chainSpanId = trace.chainSpanId;
    return { verdict: 'asked', asked: asking };
  }
  const answered =
    gate.mode === 'block'
      ? await waitForAnswerInsideChain(controls, intent.intentId, settings.confirmationTimeoutMs)
      : gate.mode === 'answered';
  const decision = controls.decision(intent.intentId);
  if (answered && decision === 'confirm') return { verdict: 'run' };
  const error = !answered
    ? {
        code: 'confirmation_timeout',
        message: `no confirmation within ${Math.round(settings.confirmationTimeoutMs / 1000)} s; the action did not run`,
        retryable: true,
      }
    : decision === 'decline'
      ? { code: 'user_declined', message: 'the user declined; the action did not run', retryable: false }
      : { code: 'cancelled', message: 'cancelled by the caller before it started', retryable: false };
  const status = answered ? 'cancelled' : 'failed';
  await out.finish({ status, messages: [], outputs: {}, error });
  return { verdict: 'refused', status, error };
}
