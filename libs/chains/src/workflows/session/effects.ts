/**
 * Running a chain's side effects: each as an activity on its worker's queue, a "still working"
 * event when one is slow, typed failures back to the interpreter, and ending the call after the
 * final message was delivered.
 */
import type { EffectRequest } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common/errors';
import { type SessionIntent, type SessionSettings, TaskQueues } from '@switchboard/contracts/temporal';
import { type EffectTraits, operationFamily } from '@switchboard/operations';
import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import type { ProviderActivities, WebhookActivities } from '../../activity-types.js';
import { PROVIDER_DEFAULTS, WEBHOOK_DEFAULTS } from '../../policy.js';
import { proxyFor } from './activities.js';
import { type IntentTrace, traced } from './intent-trace.js';
import type { EventSink } from './outcome.js';
import type { Controls } from './state.js';

/** Runs a side effect as an activity on the queue of its worker. */
export async function runEffect(
  intent: SessionIntent,
  request: EffectRequest,
  trace?: IntentTrace,
): Promise<JsonValue> {
  // The deployment's queue names travel with the intent; intents of earlier releases lack them.
  const queues = intent.settings?.taskQueues ?? TaskQueues;
  if (request.kind === 'webhook' && request.endpoint !== undefined) {
    const webhook = proxyFor<WebhookActivities>(queues.Webhook, request.policy, WEBHOOK_DEFAULTS);
    const endpoint = request.endpoint;
    return traced(trace, 'callWebhook', () =>
      webhook.callWebhook({
        tenantId: intent.tenantId,
        intentId: intent.intentId,
        conversationId: intent.conversationId,
        sandbox: intent.sandbox,
        endpoint,
        stepPointer: request.stepPointer,
        payload: request.payload,
      }),
    );
  }
  const operation = request.operation ?? '';
  const family = request.kind === 'provider' ? operationFamily(operation) : undefined;
  if (family === undefined) {
    throw new SwitchboardError('unsupported_effect', `no worker serves '${request.kind}' operation '${operation}'`);
  }
  if (family === 'session') return { status: 'ok' };
  const provider = proxyFor<ProviderActivities>(queues[family], request.policy, PROVIDER_DEFAULTS);
  return traced(trace, operation, () =>
    provider[operation]!({
      tenantId: intent.tenantId,
      intentId: intent.intentId,
      conversationId: intent.conversationId,
      stepPointer: request.stepPointer,
      operation,
      payload: request.payload,
      sandbox: intent.sandbox,
    }),
  );
}

/**
 * Awaits `run`; if it is still running after `afterMs`, calls `onSlow` once (a "still working"
 * event the agent can speak). The timer is a workflow timer, so replays see the same events.
 */
export async function withStillWorking<T>(
  run: () => Promise<T>,
  afterMs: number,
  onSlow: () => Promise<void>,
): Promise<T> {
  let done = false;
  const running = run().finally(() => {
    done = true;
  });
  const watcher = (async () => {
    if (!(await condition(() => done, afterMs))) await onSlow();
  })();
  try {
    return await running;
  } finally {
    await watcher;
  }
}

/**
 * An effect whose result status means it did not happen (a warm transfer that did not connect:
 * the caller is still with us) fails its step, so the chain's `on_failure` falls back.
 */
export function failOnStatus(result: JsonValue, rule: EffectTraits['failsOnStatus']): void {
  if (rule === undefined || result === null || typeof result !== 'object' || Array.isArray(result)) return;
  const status = typeof result.status === 'string' ? result.status : '';
  if (!rule.statuses.includes(status)) return;
  const detail = typeof result.detail === 'string' ? result.detail : `${rule.subject} ended '${status}'`;
  throw new SwitchboardError(`${rule.codePrefix}${status.replaceAll('-', '_')}`, detail, {
    retryable: false,
    details: { status, caller: typeof result.caller === 'string' ? result.caller : null },
  });
}

/**
 * Ends the call once the runtime reported the final message delivered (or after the bounded
 * wait), then tells the runtime how it went. Events after the result are still published on
 * the conversation's stream (and kept in the run's event log by their own batch).
 */
export async function endCallsAfterDelivery(
  intent: SessionIntent,
  requests: EffectRequest[],
  controls: Controls,
  settings: SessionSettings,
  out: EventSink,
  trace: IntentTrace | undefined,
): Promise<void> {
  const delivered = await condition(() => controls.delivered(intent.intentId), settings.endCallDeliveryTimeoutMs);
  for (const request of requests) {
    const payload = request.payload;
    const hasCall =
      payload !== null &&
      typeof payload === 'object' &&
      !Array.isArray(payload) &&
      typeof payload.call_sid === 'string';
    if (!hasCall) {
      // Not a phone call we control: the runtime ends the session itself on the event.
      out.emit({ kind: 'call_control', data: { action: 'end_call', status: 'left_to_runtime', delivered } });
      continue;
    }
    try {
      // The runtime has spoken the final message: hang up without saying it a second time.
      // Unconfirmed delivery keeps the message, so the caller hears it before the line drops.
      const { message: _spoken, ...silent } = payload as Record<string, JsonValue>;
      const result = await runEffect(intent, delivered ? { ...request, payload: silent } : request, trace);
      out.emit({ kind: 'call_control', data: { action: 'end_call', status: 'completed', delivered, result } });
    } catch (err) {
      const failure = fromActivityFailure(err);
      out.emit({
        kind: 'call_control',
        data: {
          action: 'end_call',
          status: 'failed',
          delivered,
          error: { code: failure.code, message: failure.message },
        },
      });
    }
  }
  await out.flush();
}

/** Turns an activity failure back into the typed error the interpreter reports. */
export function fromActivityFailure(err: unknown): SwitchboardError {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return new SwitchboardError(cause.type ?? 'activity_failed', cause.message, { retryable: !cause.nonRetryable });
  }
  if (err instanceof SwitchboardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchboardError('activity_failed', message, { retryable: true });
}
