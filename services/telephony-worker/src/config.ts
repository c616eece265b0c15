import { ConfigError, EnvReader } from '@switchboard/common';
import { vapiControlHostsFrom } from '@switchboard/providers';

/** Settings of the telephony worker, read once from the environment. */
export interface TelephonyConfig {
  /** `TWILIO_API_URL`: the Twilio REST base (a sandbox in development). */
  apiUrl: string;
  /** `TWILIO_TIMEOUT_MS`: per-request timeout. */
  requestTimeoutMs: number;
  /**
   * `TWILIO_CALL_CREDENTIAL`: the tenant credential used for call control. `telephony.transfer`
   * and `telephony.end_call` payloads name no credential (the call belongs to the tenant's
   * Twilio account); absent, the tenant's only Twilio credential is used.
   */
  callCredential: string | undefined;
  /**
   * `TWILIO_RESUME_URL`: TwiML URL that reconnects a caller to the voice agent. A warm transfer
   * that does not connect redirects the caller there; without it the caller is taken off hold
   * in the conference and the result says so (`caller: 'in_conference'`). A cold transfer's
   * TwiML redirects there after its `<Dial>`; without it Twilio ends the call after an
   * unanswered dial (`caller: 'gone'`).
   */
  resumeUrl: string | undefined;
  /**
   * `TWILIO_ANNOUNCE_URL`: URL template returning TwiML that says `{text}` (URL-encoded), used
   * as `AnnounceUrl` for the whisper. Default: Twilio's hosted message Twimlet.
   */
  announceUrlTemplate: string;
  /** `TWILIO_SMS_STATUS_CALLBACK_URL`: sent as `StatusCallback` of every SMS when set. */
  smsStatusCallbackUrl: string | undefined;
  /** `TELEPHONY_ATTEMPT_BUDGET_MS`: time one attempt may take outside a Temporal activity context. */
  attemptBudgetMs: number;
  /** `TELEPHONY_SPEECH_MS_PER_CHAR`: text-to-speech pace for waiting out a `<Say>` or whisper. */
  speechMsPerChar: number;
  /** `TELEPHONY_CLOCK_SLACK_MS`: allowed clock difference between Postgres and Twilio in look-ups. */
  clockSlackMs: number;
  /** `TELEPHONY_POLL_MAX_MS`: longest pause between two polls of a ringing destination. */
  pollMaxMs: number;
  /**
   * `TELEPHONY_JOIN_GRACE_MS`: how long a warm transfer waits for the caller to reach its
   * conference beyond the time the message takes to say; then it gives up and brings them back.
   */
  joinGraceMs: number;
  /**
   * `VAPI_CONTROL_HOSTS`: comma-separated hosts (and their subdomains) a Vapi call's control URL
   * may point at; default `vapi.ai`. The URL comes from the runtime's webhook, so it is held to
   * these before anything is sent. Plain http only to an explicitly listed loopback host.
   */
  vapiControlHosts: readonly string[];
}

/** Twilio's message Twimlet: `<Response><Say>` of its `Message[0]` parameter. */
export const DEFAULT_ANNOUNCE_URL = 'https://twimlets.com/message?Message%5B0%5D={text}';

/** Reads {@link TelephonyConfig}, failing once with every malformed variable. */
export function readTelephonyConfig(env: NodeJS.ProcessEnv): TelephonyConfig {
  const r = new EnvReader(env);
  const config: TelephonyConfig = {
    apiUrl: r.string('TWILIO_API_URL', 'https://api.twilio.com'),
    requestTimeoutMs: r.int('TWILIO_TIMEOUT_MS', 10_000, 100, 120_000),
    callCredential: r.optional('TWILIO_CALL_CREDENTIAL'),
    resumeUrl: r.optional('TWILIO_RESUME_URL'),
    announceUrlTemplate: r.string('TWILIO_ANNOUNCE_URL', DEFAULT_ANNOUNCE_URL),
    smsStatusCallbackUrl: r.optional('TWILIO_SMS_STATUS_CALLBACK_URL'),
    attemptBudgetMs: r.int('TELEPHONY_ATTEMPT_BUDGET_MS', 25_000, 1_000, 3_600_000),
    speechMsPerChar: r.int('TELEPHONY_SPEECH_MS_PER_CHAR', 65, 0, 1_000),
    clockSlackMs: r.int('TELEPHONY_CLOCK_SLACK_MS', 60_000, 0, 3_600_000),
    pollMaxMs: r.int('TELEPHONY_POLL_MAX_MS', 1_000, 10, 60_000),
    joinGraceMs: r.int('TELEPHONY_JOIN_GRACE_MS', 20_000, 100, 600_000),
    vapiControlHosts: vapiControlHostsFrom(r.optional('VAPI_CONTROL_HOSTS')),
  };
  r.done();
  const problems: string[] = [];
  for (const [name, value] of [
    ['TWILIO_API_URL', config.apiUrl],
    ['TWILIO_RESUME_URL', config.resumeUrl],
    ['TWILIO_SMS_STATUS_CALLBACK_URL', config.smsStatusCallbackUrl],
    ['TWILIO_ANNOUNCE_URL', config.announceUrlTemplate.replace('{text}', 'x')],
  ] as const) {
    if (value !== undefined && !/^https?:\/\/[^\s/?#]+/i.test(value)) {
      problems.push(`${name} must be an http(s) URL, got '${value}'`);
    }
  }
  if (config.vapiControlHosts.length === 0) problems.push('VAPI_CONTROL_HOSTS must name at least one host');
  if (!config.announceUrlTemplate.includes('{text}')) {
    problems.push("TWILIO_ANNOUNCE_URL must contain '{text}' where the URL-encoded whisper goes");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
