/**
 * The naive baseline: the booking chain's three provider calls made directly from this process
 * with `fetch` — Cal.com slots, Cal.com booking, Twilio SMS — with no bus, no workflow, no audit
 * and no retries. What Switchboard costs on top of this is the durability tax.
 */
import { parseDateTime } from '@switchboard/common/time-zones';
import type { ProviderSandboxes } from '@switchboard/devstack';
import { phoneFor, RECEPTIONIST, type Slot } from './booking.js';
import { type ChainDriver, since } from './driver.js';
import type { StepSample } from './stats.js';

const CALCOM_SLOTS_VERSION = '2024-09-04';
const CALCOM_BOOKINGS_VERSION = '2024-08-13';

function secretOf(sandboxes: ProviderSandboxes, provider: string): Record<string, string> {
  const c = sandboxes.credentials.find((x) => x.provider === provider);
  if (!c) throw new Error(`no sandbox credential for ${provider}`);
  return c.secret as Record<string, string>;
}

async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** The naive chain over the sandboxes the stack's workers use (same requests the workers send). */
export function naiveDriver(sandboxes: ProviderSandboxes, slotFor: (index: number) => Slot): ChainDriver {
  const calcomKey = secretOf(sandboxes, 'calcom').apiKey as string;
  const twilio = secretOf(sandboxes, 'twilio');
  const twilioAuth = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`;
  const zone = RECEPTIONIST.timeZone;

  const step = async (fn: () => Promise<void>): Promise<StepSample> => {
    const t0 = performance.now();
    await fn();
    return { resultMs: since(t0) };
  };

  return {
    description:
      'GET /v2/slots → POST /v2/bookings → POST Twilio Messages.json, in-process fetch, sequential, no durability',
    notes: [
      'Three provider requests per chain. Switchboard sends four on the critical path: the booking activity first ' +
        "looks its idempotency key up in Cal.com's booking list (exactly-once), then books.",
      'Direct calls have no events: time to first event is not measured here.',
    ],
    beforeLevel: () => {
      // A clean sandbox per level: its slot computation scans the bookings, and the rate limit window restarts.
      const latency = sandboxes.calcom.faults.latencyMs;
      sandboxes.calcom.reset();
      sandboxes.twilio.reset();
      sandboxes.calcom.faults.latencyMs = latency;
      sandboxes.twilio.faults.latencyMs = latency;
    },
    chain: async (index) => {
      const slot = slotFor(index);
      const t0 = performance.now();
      const fromMs = parseDateTime(`${slot.date}T00:00:00`, zone) as number;
      const slots = await step(async () => {
        const url = new URL('/v2/slots', sandboxes.urls.calcom);
        url.searchParams.set('eventTypeId', String(RECEPTIONIST.eventTypeId));
        url.searchParams.set('start', new Date(fromMs).toISOString());
        url.searchParams.set('end', new Date(fromMs + RECEPTIONIST.daysAhead * 86_400_000 - 1).toISOString());
        url.searchParams.set('timeZone', zone);
        url.searchParams.set('format', 'range');
        await expectOk(
          await fetch(url, {
            headers: { authorization: `Bearer ${calcomKey}`, 'cal-api-version': CALCOM_SLOTS_VERSION },
          }),
          'slots',
        );
      });
      const startMs = parseDateTime(slot.wall, zone) as number;
      const book = await step(async () => {
        await expectOk(
          await fetch(new URL('/v2/bookings', sandboxes.urls.calcom), {
            method: 'POST',
            headers: {
              authorization: `Bearer ${calcomKey}`,
              'cal-api-version': CALCOM_BOOKINGS_VERSION,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              start: new Date(startMs).toISOString(),
              eventTypeId: RECEPTIONIST.eventTypeId,
              attendee: { name: `Caller ${index}`, email: `caller${index}@example.com`, timeZone: zone },
              metadata: { source: 'voice-agent' },
            }),
          }),
          'book',
        );
      });
      const sms = await step(async () => {
        await expectOk(
          await fetch(new URL(`/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`, sandboxes.urls.twilio), {
            method: 'POST',
            headers: { authorization: twilioAuth, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              To: phoneFor(index),
              From: RECEPTIONIST.smsFrom,
              Body: `Acme: your consultation is booked for ${slot.wall}.`,
            }).toString(),
          }),
          'sms',
        );
      });
      return { ok: true, chainMs: since(t0), steps: [slots, book, sms] };
    },
    afterLevel: (chains) => ({
      providerRequestsPerChain: (sandboxes.calcom.requests().length + sandboxes.twilio.requests().length) / chains,
    }),
    close: async () => {},
  };
}
