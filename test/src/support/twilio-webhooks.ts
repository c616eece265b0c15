import { twilioSignature } from '@switchboard/sandboxes/twilio';
import type { TestStack } from './stack.js';

/** The dev tenant's `twilio_main` credential (see `libs/devstack/src/sandboxes.ts`). */
export function twilioSecret(stack: TestStack): { accountSid: string; authToken: string } {
  const secret = stack.sandboxes.credentials.find((c) => c.name === 'twilio_main')?.secret;
  return { accountSid: secret?.accountSid ?? '', authToken: secret?.authToken ?? '' };
}

/**
 * Posts a Twilio-style form webhook, signed over the URL it is sent to unless told otherwise,
 * to `apiUrl` (one of the conversation replicas; the first by default).
 */
export async function postTwilioWebhook(
  stack: TestStack,
  kind: 'sms' | 'call-status',
  fields: Record<string, string>,
  signature?: string,
  apiUrl = stack.services.apiUrl,
): Promise<{ status: number; body: string; contentType: string | null }> {
  const url = `${apiUrl}/v1/inbound/twilio/${stack.seed.tenantId}/twilio_main/${kind}`;
  const params = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [v]]));
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature ?? twilioSignature(twilioSecret(stack).authToken, url, params),
    },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

let sidCounter = 0;
/** The form fields of an inbound SMS from `from` to the tenant's number. */
export function smsFields(stack: TestStack, from: string, body: string, to = '+15559870000'): Record<string, string> {
  const sid = `SM${(Date.now().toString(16) + (sidCounter++).toString(16)).padStart(32, '0')}`;
  return { MessageSid: sid, SmsSid: sid, AccountSid: twilioSecret(stack).accountSid, From: from, To: to, Body: body };
}
