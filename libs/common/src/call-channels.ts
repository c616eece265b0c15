/**
 * The call-control channel of a conversation: who owns its live call, and so where every
 * call-control step (transfer, end call, say, pause inactivity) is sent.
 *
 * - `twilio`: a phone call Switchboard controls through Twilio (`call.sid`);
 * - `vapi`, `retell`, `elevenlabs`: the voice runtime of a drop-in endpoint owns the call;
 * - `none`: no call to control (chat, API conversations).
 *
 * Workflow-safe: no I/O, no Node built-ins.
 */
export const CallChannels = {
  Twilio: 'twilio',
  Vapi: 'vapi',
  Retell: 'retell',
  ElevenLabs: 'elevenlabs',
  None: 'none',
} as const;

/** One of {@link CallChannels}. */
export type CallChannel = (typeof CallChannels)[keyof typeof CallChannels];

/** Every channel, in a stable order (documentation, schemas). */
export const CALL_CHANNELS: readonly CallChannel[] = Object.values(CallChannels);

/** Whether `value` names a channel. */
export function isCallChannel(value: unknown): value is CallChannel {
  return typeof value === 'string' && (CALL_CHANNELS as readonly string[]).includes(value);
}

/**
 * The channel of a conversation created without an explicit one: a Twilio call sid means the
 * call is Switchboard's to control over Twilio; anything else has no call to control.
 */
export function defaultCallChannel(call: { sid?: unknown } | undefined): CallChannel {
  return typeof call?.sid === 'string' && call.sid !== '' ? CallChannels.Twilio : CallChannels.None;
}
