import type { CredentialProvider, CredentialSecret } from '@switchboard/db';
import { startCalcomSandbox } from '@switchboard/sandboxes/calcom';
import { startHubspotSandbox } from '@switchboard/sandboxes/hubspot';
import { startTwilioSandbox } from '@switchboard/sandboxes/twilio';

/** A credential the dev stack stores for the demo tenant, pointing at a sandbox. */
export interface SandboxCredential {
  name: string;
  provider: CredentialProvider;
  secret: CredentialSecret;
}

/** The three provider sandboxes, with the worker environment and credentials that reach them. */
export interface ProviderSandboxes {
  urls: { calcom: string; twilio: string; hubspot: string };
  /**
   * `CALCOM_API_URL`, `TWILIO_API_URL`, `HUBSPOT_API_URL` for the provider workers, and
   * `SANDBOX_URLS` (all three as JSON) for the web console's "Simulate failure".
   */
  env: Record<string, string>;
  credentials: SandboxCredential[];
  /** The sandbox Twilio account (tests use it to create live calls). */
  twilioAccountSid: string;
  calcom: Awaited<ReturnType<typeof startCalcomSandbox>>;
  twilio: Awaited<ReturnType<typeof startTwilioSandbox>>;
  hubspot: Awaited<ReturnType<typeof startHubspotSandbox>>;
  close(): Promise<void>;
}

// Fixed sandbox secrets: they open only the local sandboxes, which accept nothing else.
const CALCOM_KEY = 'cal_sandbox_0000000000000000000000000000';
const TWILIO_SID = `AC${'0'.repeat(31)}1`;
const TWILIO_TOKEN = 'sandbox-auth-token-0000000000000';
const HUBSPOT_TOKEN = 'pat-sandbox-00000000-0000-0000-0000-000000000000';

/**
 * Starts local stand-ins for Cal.com, Twilio and HubSpot (same paths, bodies and errors as the
 * real APIs), on the given ports or free ones. Real credentials and URLs switch the workers to
 * the real services instead; the dev stack uses these by default.
 */
export async function startProviderSandboxes(
  ports: { calcom?: number; twilio?: number; hubspot?: number } = {},
): Promise<ProviderSandboxes> {
  const calcom = await startCalcomSandbox({ port: ports.calcom ?? 0, apiKeys: [CALCOM_KEY] });
  const twilio = await startTwilioSandbox({
    port: ports.twilio ?? 0,
    accounts: [{ sid: TWILIO_SID, authToken: TWILIO_TOKEN }],
  });
  const hubspot = await startHubspotSandbox({ port: ports.hubspot ?? 0, tokens: [HUBSPOT_TOKEN] });
  return {
    urls: { calcom: calcom.url, twilio: twilio.url, hubspot: hubspot.url },
    env: {
      CALCOM_API_URL: calcom.url,
      TWILIO_API_URL: twilio.url,
      HUBSPOT_API_URL: hubspot.url,
      SANDBOX_URLS: JSON.stringify({ calcom: calcom.url, twilio: twilio.url, hubspot: hubspot.url }),
    },
    credentials: [
      { name: 'calcom_main', provider: 'calcom', secret: { apiKey: CALCOM_KEY } },
      { name: 'twilio_main', provider: 'twilio', secret: { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN } },
      { name: 'hubspot_main', provider: 'hubspot', secret: { accessToken: HUBSPOT_TOKEN } },
    ],
    twilioAccountSid: TWILIO_SID,
    calcom,
    twilio,
    hubspot,
    close: async () => {
      await Promise.all([calcom.close(), twilio.close(), hubspot.close()]);
    },
  };
}
