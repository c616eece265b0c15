/**
 * Which call-control steps each call-control channel can carry out, and the refusal for the
 * ones it cannot: one table, read by the session workflow (a step is refused before anything
 * runs), the telephony worker (the same check where the call is controlled) and the agent
 * status (an action the agent's runtime cannot perform is an `error` at save time).
 *
 * Workflow-safe: no I/O, no Node built-ins.
 */
import { type CallChannel, CallChannels, isCallChannel } from '@switchboard/common/call-channels';
import { SwitchboardError } from '@switchboard/common/errors';
import type { CallControlAction } from './spec.js';

/** Stable codes of call-control steps a conversation's channel cannot carry out. */
export const CallControlErrorCodes = {
  /** The conversation has no call (chat, API): there is nothing to transfer, end or pause. */
  NoCallControl: 'no_call_control',
  /** The voice runtime that owns the call offers no server-side control for the step. */
  UnsupportedByRuntime: 'unsupported_by_runtime',
} as const;

/** Support of one step on one channel: how it is done, or why it cannot be. */
export type ChannelSupport = { supported: true; how: string } | { supported: false; why: string };

const yes = (how: string): ChannelSupport => ({ supported: true, how });
const no = (why: string): ChannelSupport => ({ supported: false, why });

const RETELL_NO_CONTROL =
  'Retell has no server-side API to transfer a live call or pause its inactivity handling; use the Retell agent’s own transfer_call tool';
const ELEVENLABS_NO_CONTROL =
  'ElevenLabs Agents have no server-side API to control a live conversation (transfer, end, speak); use the agent’s own system tools (transfer_to_number, end_call)';

/**
 * The support table: every channel × every call-control step. The README's channel table is
 * this one.
 */
export const CALL_CONTROL_SUPPORT: Readonly<Record<CallChannel, Readonly<Record<CallControlAction, ChannelSupport>>>> =
  {
    twilio: {
      transfer: yes('Twilio: the call is redirected to <Dial> (cold) or a conference (warm)'),
      end_call: yes('Twilio: <Say> the final message and <Hangup/>, or Status=completed once the runtime delivered it'),
      pause_inactivity: yes('a call_control event the voice runtime acts on'),
      resume_inactivity: yes('a call_control event the voice runtime acts on'),
    },
    vapi: {
      transfer: yes('Vapi Live Call Control: {"type":"transfer"} on the call’s monitor.controlUrl'),
      end_call: yes(
        'Vapi Live Call Control: {"type":"say","endCallAfterSpoken":true} with the final message, or {"type":"end-call"}',
      ),
      pause_inactivity: no(
        'Vapi Live Call Control has no message to pause the silence timeout of a live call (it is assistant configuration: silenceTimeoutSeconds)',
      ),
      resume_inactivity: no(
        'Vapi Live Call Control has no message to pause or resume the silence timeout of a live call (it is assistant configuration: silenceTimeoutSeconds)',
      ),
    },
    retell: {
      transfer: no(RETELL_NO_CONTROL),
      end_call: no(
        'Switchboard does not yet end Retell calls (Retell’s stop-call API hangs up at once, with no way to let the final message finish); use the Retell agent’s own end_call tool',
      ),
      pause_inactivity: no(RETELL_NO_CONTROL),
      resume_inactivity: no(RETELL_NO_CONTROL),
    },
    elevenlabs: {
      transfer: no(ELEVENLABS_NO_CONTROL),
      end_call: no(ELEVENLABS_NO_CONTROL),
      pause_inactivity: no(ELEVENLABS_NO_CONTROL),
      resume_inactivity: no(ELEVENLABS_NO_CONTROL),
    },
    none: {
      transfer: no('the conversation has no call (chat or API)'),
      end_call: no('the conversation has no call (chat or API)'),
      pause_inactivity: no('the conversation has no call (chat or API)'),
      resume_inactivity: no('the conversation has no call (chat or API)'),
    },
  };

/** What the steps are called in messages. */
const STEP_NAMES: Record<CallControlAction, string> = {
  transfer: 'transfer the call',
  end_call: 'end the call',
  pause_inactivity: 'pause the inactivity timer',
  resume_inactivity: 'resume the inactivity timer',
};

/**
 * The error of a call-control step the channel cannot carry out (`no_call_control` on `none`,
 * `unsupported_by_runtime` on a runtime without the control), or undefined when it can.
 * Non-retryable: the conversation's channel does not change.
 */
export function callControlRefusal(channel: CallChannel, action: CallControlAction): SwitchboardError | undefined {
  const support = CALL_CONTROL_SUPPORT[channel][action];
  if (support.supported) return undefined;
  const code =
    channel === CallChannels.None ? CallControlErrorCodes.NoCallControl : CallControlErrorCodes.UnsupportedByRuntime;
  const where = channel === CallChannels.None ? 'this conversation' : `a ${channel} call`;
  return new SwitchboardError(code, `cannot ${STEP_NAMES[action]} on ${where}: ${support.why}`, {
    retryable: false,
    details: { channel, step: action },
  });
}

/**
 * The channel a run's call context names (`call.channel`, set by the conversation service from
 * the conversation), or undefined for intents of releases before channels.
 */
export function channelOfCallContext(callContext: Record<string, unknown> | undefined): CallChannel | undefined {
  const call = callContext?.call;
  if (call === null || typeof call !== 'object' || Array.isArray(call)) return undefined;
  const channel = (call as Record<string, unknown>).channel;
  return isCallChannel(channel) ? channel : undefined;
}
