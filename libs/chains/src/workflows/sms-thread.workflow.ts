/**
 * The SMS thread workflow: one per tenant + counterpart number, fed by signal-with-start of
 * `inboundSms` from the orchestrator (verified Twilio webhooks). It keeps the last messages
 * for queries, drops provider retries by message sid, and forwards each new message, in
 * arrival order, to the subscriber that asked last (a booking waiting for a "YES"): a customer
 * with two bookings who answers "CANCEL" to one booking's reminder cancels that booking, not
 * both. Subscribers are kept in the order they asked: subscribing asks (a lifecycle's first
 * text is its confirmation request), and so does {@link smsAskedSignal} (a reminder). An
 * opt-out (STOP…) goes to every subscriber: the carrier stops all texts to the number.
 */

import {
  type InboundSms,
  inboundSmsSignal,
  type SmsThreadInput,
  smsAskedSignal,
  smsThreadStateQuery,
  subscribeSmsSignal,
  unsubscribeSmsSignal,
} from '@switchboard/contracts/temporal';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { classifyReply } from './sms-replies.js';

/** Messages kept for the state query. */
const KEPT_MESSAGES = 50;
/** Message sids remembered for de-duplication (across continue-as-new). */
const RECENT_SIDS = 500;
/** New messages handled per run before continuing as new. */
const MAX_MESSAGES_PER_RUN = 100;
/** Subscribers kept; the oldest is dropped beyond this. */
const MAX_SUBSCRIBERS = 100;
/** A thread with no inbound SMS for this long completes; the next SMS starts a new one. */
const IDLE_TIMEOUT = '30 days';
/**
 * Patch id of forwarding a reply to the subscriber that asked last (opt-outs to all). Threads
 * that forwarded every message to every subscriber before it replay that way.
 */
const REPLY_TO_LAST_ASKER_PATCH = 'sms-reply-to-last-asker';

export async function smsThread(input: SmsThreadInput): Promise<void> {
  const messages: InboundSms[] = [...(input.carried?.messages ?? [])];
  const subscribers: string[] = [...(input.carried?.subscribers ?? [])];
  const recentSids: string[] = [...(input.carried?.recentSids ?? [])];
  let received = input.carried?.received ?? 0;
  const pending: InboundSms[] = [];
  const self = workflowInfo().workflowId;

  setHandler(inboundSmsSignal, (sms) => {
    if (recentSids.includes(sms.messageSid)) return;
    recentSids.push(sms.messageSid);
    if (recentSids.length > RECENT_SIDS) recentSids.splice(0, recentSids.length - RECENT_SIDS);
    received++;
    messages.push(sms);
    if (messages.length > KEPT_MESSAGES) messages.splice(0, messages.length - KEPT_MESSAGES);
    pending.push(sms);
  });
  setHandler(subscribeSmsSignal, (workflowId) => {
    // A thread forwarding to itself would loop.
    if (workflowId === self || workflowId === '' || subscribers.includes(workflowId)) return;
    subscribers.push(workflowId);
    if (subscribers.length > MAX_SUBSCRIBERS) subscribers.splice(0, subscribers.length - MAX_SUBSCRIBERS);
  });
  setHandler(unsubscribeSmsSignal, (workflowId) => {
    const at = subscribers.indexOf(workflowId);
    if (at >= 0) subscribers.splice(at, 1);
  });
  setHandler(smsAskedSignal, (workflowId) => {
    if (workflowId === self || workflowId === '') return;
    const at = subscribers.indexOf(workflowId);
    if (at >= 0) subscribers.splice(at, 1);
    subscribers.push(workflowId);
    if (subscribers.length > MAX_SUBSCRIBERS) subscribers.splice(0, subscribers.length - MAX_SUBSCRIBERS);
  });
  setHandler(smsThreadStateQuery, () => ({
    tenantId: input.tenantId,
    phone: input.phone,
    messages: [...messages],
    subscribers: [...subscribers],
    received,
  }));

  let handled = 0;
  for (;;) {
    const woke = await condition(() => pending.length > 0, IDLE_TIMEOUT);
    const sms = pending.shift();
    if (sms === undefined) {
      // A thread with subscribers (a booking lifecycle waiting for a reply) stays open: closed,
      // a late reply would start a new thread that does not know them.
      if (!woke && subscribers.length === 0) return;
      continue;
    }
    await forward(sms, subscribers);
    handled++;
    if (pending.length === 0 && (handled >= MAX_MESSAGES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      // A message that arrived while handlers finished is forwarded before continuing.
      if (pending.length > 0) continue;
      await continueAsNew<typeof smsThread>({
        tenantId: input.tenantId,
        phone: input.phone,
        carried: { messages, subscribers, recentSids, received },
      });
    }
  }
}

/**
 * Forwards a message: an opt-out to every subscriber, anything else to the subscriber that
 * asked last (the one before it when that one is gone). A subscriber that no longer exists is
 * unsubscribed.
 */
async function forward(sms: InboundSms, subscribers: string[]): Promise<void> {
  if (!patched(REPLY_TO_LAST_ASKER_PATCH) || isOptOut(sms.body)) {
    await signalAll(sms, [...subscribers], subscribers);
    return;
  }
  for (;;) {
    const last = subscribers.at(-1);
    if (last === undefined) return;
    if ((await signalAll(sms, [last], subscribers)) > 0) return;
    // Gone: it was unsubscribed, and the one that asked before it is last now. Failed for
    // another reason (logged): the message was for it, not for an earlier one.
    if (subscribers.at(-1) === last) return;
  }
}

function isOptOut(body: string): boolean {
  const reply = classifyReply(body);
  return reply.kind === 'cancel' && reply.optOut === true;
}

/** Signals the targets; unsubscribes the ones that no longer exist. Answers how many got it. */
async function signalAll(sms: InboundSms, targets: string[], subscribers: string[]): Promise<number> {
  const outcomes = await Promise.allSettled(
    targets.map((id) => getExternalWorkflowHandle(id).signal(inboundSmsSignal, sms)),
  );
  let delivered = 0;
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      delivered++;
      return;
    }
    const id = targets[i] as string;
    const message = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
    if (/not found/i.test(message)) {
      const at = subscribers.indexOf(id);
      if (at >= 0) subscribers.splice(at, 1);
      log.info('sms subscriber gone; unsubscribed', { subscriber: id });
    } else {
      log.warn('forwarding an inbound sms failed', { subscriber: id, error: message });
    }
  });
  return delivered;
}
