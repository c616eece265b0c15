/**
 * The delivery of async results (see `@switchboard/chains` `result-delivery.ts`): what the
 * receivers get, and how their answers are judged. Pure, so the rules are testable without
 * servers.
 *
 * The result webhook receives a JSON POST signed like every Switchboard webhook
 * (`X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, see
 * `signing.ts`), with `Idempotency-Key: result:<run id>` (the same on every attempt) and
 * `X-Switchboard-Delivery-Attempt: <n>`.
 */
import type { JsonObject, JsonValue } from '@switchboard/common';

/** How a receiver's answer (or the failure to get one) counts. */
export type DeliveryVerdict = 'delivered' | 'retry' | 'permanent';

/**
 * 2xx: delivered. 408, 429, 5xx and no answer at all (unreachable, timeout): retried. Any other
 * status (3xx: no redirects are followed; 4xx: the receiver refuses this request) is permanent.
 */
export function judgeDeliveryStatus(status: number | undefined): DeliveryVerdict {
  if (status === undefined) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'permanent';
}

/** A finished run as the delivery reads it. */
export interface DeliveredRun {
  intentId: string;
  conversationId: string;
  actionName: string;
  status: string;
  /** The run's stored result (`messages`, `outputs`, `error`). */
  result: JsonObject | null;
}

/** The body of the result webhook's POST. */
export function resultWebhookBody(run: DeliveredRun): JsonObject {
  const result = run.result ?? {};
  return {
    type: 'run.result',
    run: {
      id: run.intentId,
      conversation_id: run.conversationId,
      action: run.actionName,
      status: run.status,
      messages: (result.messages as JsonValue) ?? [],
      outputs: (result.outputs as JsonValue) ?? {},
      ...(result.error !== undefined && result.error !== null ? { error: result.error } : {}),
    },
  };
}

/**
 * The result as the model of a voice runtime reads it (Vapi `add-message`): which tool call it
 * answers, the `respond` messages, the outputs, or why it failed.
 */
export function resultForModel(run: DeliveredRun): string {
  const result = run.result ?? {};
  const messages = Array.isArray(result.messages) ? result.messages.filter((m) => typeof m === 'string') : [];
  const lines = [`The result of '${run.actionName}' (tool call ${run.intentId}) is in: ${run.status}.`];
  if (messages.length > 0) lines.push(messages.join(' '));
  const outputs = result.outputs;
  if (outputs !== null && typeof outputs === 'object' && Object.keys(outputs).length > 0) {
    lines.push(`Outputs: ${JSON.stringify(outputs)}`);
  }
  const error = result.error as { code?: string; message?: string } | undefined;
  if (run.status !== 'succeeded' && error?.code) lines.push(`Why (${error.code}): ${error.message ?? ''}`);
  return lines.join('\n');
}
