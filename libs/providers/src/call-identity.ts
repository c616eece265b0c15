/**
 * Names the tenant, conversation and intent of every provider activity on its span (the
 * activity span the Temporal interceptor made active), once, around every activity: so the
 * span says whose call it was in Jaeger, and every log line written during the activity
 * carries them (the logger copies them from the active span; see `traceFields` in
 * @switchboard/common). Ids only: never arguments or phone numbers.
 */
import type { ProviderActivities } from '@switchboard/chains';
import { trace } from '@switchboard/telemetry';

/** Wraps every activity so its active span carries the call's tenant, conversation and intent. */
export function withCallIdentity(activities: ProviderActivities): ProviderActivities {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (call: Parameters<typeof fn>[0]) => {
        trace.getActiveSpan()?.setAttributes({
          'switchboard.tenant_id': call.tenantId,
          'switchboard.conversation_id': call.conversationId,
          'switchboard.intent_id': call.intentId,
        });
        return fn(call);
      },
    ]),
  );
}
