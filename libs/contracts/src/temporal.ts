/**
 * Temporal names and message definitions shared by the orchestrator (client side) and the
 * workflows (server side). The same objects are imported on both sides.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * Default task queue names: one for the chain workflows, one per provider family. A deployment
 * may rename them (`*_TASK_QUEUE`, see `readTaskQueues`), e.g. to run beside another on one
 * Temporal namespace; workflows then get the names from the orchestrator ({@link TaskQueueNames}).
 */
export const TaskQueues = {
  Chains: 'switchboard-chains',
  Webhook: 'switchboard-webhook',
  Calcom: 'switchboard-calcom',
  Telephony: 'switchboard-telephony',
  Crm: 'switchboard-crm',
} as const;
export type TaskQueue = (typeof TaskQueues)[keyof typeof TaskQueues];

/**
 * The task queue names of one deployment, by family ({@link TaskQueues} unless renamed). The
 * orchestrator reads them from the same variables the workers poll by, and hands them to every
 * workflow with its input (intent settings, lifecycle and compensation inputs): a workflow never
 * schedules an activity on a queue nobody of its deployment polls.
 */
export type TaskQueueNames = { readonly [K in keyof typeof TaskQueues]: string };

/** Workflow type names (the exported function names in `@switchboard/chains/workflows`). */
export const WorkflowTypes = {
  ConversationSession: 'conversationSession',
  /** One per tenant + SMS counterpart: the inbound SMS thread with that number. */
  SmsThread: 'smsThread',
} as const;

/** Workflow id of a conversation's session: one per tenant + conversation. */
export function sessionWorkflowId(tenantId: string, conversationId: string): string {
  return `session:${tenantId}:${conversationId}`;
}

/**
 * An intent as the session workflow receives it: plain JSON (Temporal payloads), converted
 * from the protobuf `ActionIntent` by the orchestrator.
 */
export interface SessionIntent {
  intentId: string;
  tenantId: string;
  conversationId: string;
  agentName: string;
  actionName: string;
  arguments: Record<string, unknown>;
  /** Canonical action definition (see `@switchboard/actions`). */
  action: Record<string, unknown>;
  callContext: Record<string, unknown>;
  /** Epoch milliseconds at which the conversation service accepted the call. */
  createdAtMs: number;
  traceparent: string;
  tracestate: string;
  sandbox: boolean;
  /** Executor settings from the orchestrator's configuration; defaults apply when absent. */
  settings?: SessionSettings;
}

/** Timings of a booking lifecycle (see the `bookingLifecycle` workflow). */
export interface BookingLifecycleTimings {
  /** An unconfirmed booking is cancelled this long after it was made (never after its start). */
  confirmWithinMs: number;
  /** The reminder SMS goes this long before the appointment starts. */
  reminderBeforeMs: number;
}

/** Executor settings the orchestrator attaches to every intent (from its configuration). */
export interface SessionSettings {
  /** How long an action that requires confirmation waits for the user's answer. */
  confirmationTimeoutMs: number;
  /** An effect still running after this long emits one "still working" progress event. */
  stillWorkingAfterMs: number;
  /** How long an end call waits for the runtime's "delivered" before it hangs up anyway. */
  endCallDeliveryTimeoutMs: number;
  /** Timings of booking lifecycles started by the intent. */
  lifecycle: BookingLifecycleTimings;
  /**
   * Where the intent's activities run (and the lifecycles it starts). Absent in intents of
   * releases before queues could be renamed: {@link TaskQueues} then, as those releases used.
   */
  taskQueues?: TaskQueueNames;
}

/** Defaults of {@link SessionSettings}. */
export const DefaultSessionSettings: SessionSettings = {
  confirmationTimeoutMs: 120_000,
  stillWorkingAfterMs: 2_500,
  endCallDeliveryTimeoutMs: 15_000,
  lifecycle: { confirmWithinMs: 24 * 3_600_000, reminderBeforeMs: 24 * 3_600_000 },
};

/** What a control signal asks (see `ConversationControl` in proto/). */
export type SessionControlKind = 'confirm' | 'decline' | 'cancel' | 'delivered';

/** A control message as the session workflow receives it. */
export interface SessionControl {
  /** Unique id (de-duplicates redeliveries). */
  controlId: string;
  kind: SessionControlKind;
  /** The tool call it concerns. */
  intentId: string;
  /** Epoch milliseconds at which the API accepted it. */
  atMs: number;
}

/** Input of a new (or continued-as-new) session workflow. */
export interface SessionInput {
  tenantId: string;
  conversationId: string;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: {
    state: Record<string, unknown>;
    recentIntentIds: string[];
    pending: SessionIntent[];
    /** Control messages received (confirmations, cancels, deliveries), bounded. */
    controls?: SessionControl[];
    /** Bookings made whose lifecycle has not started yet (see the session workflow). */
    bookings?: Record<string, unknown>[];
    /** Intents set aside while they wait for the user's confirmation (see the session workflow). */
    parked?: Record<string, unknown>[];
    /** When the caller's explicit inactivity pause ends (workflow time, ms), if one was asked for. */
    inactivityPausedUntilMs?: number;
  };
}

/** Snapshot returned by the state query. */
export interface SessionSnapshot {
  state: Record<string, unknown>;
  processed: number;
  pending: number;
  recentIntentIds: string[];
  /**
   * Ids of the intents received and not yet run, and of those waiting for the user's
   * confirmation: with `recentIntentIds`, every intent the session knows. Absent from workers
   * of releases before it.
   */
  pendingIntentIds?: string[];
  /**
   * When the caller's explicit inactivity pause ends (workflow time, ms), while one holds: a run
   * ended from outside the session (the stuck-run sweeper) must not send the automatic resume.
   */
  inactivityPausedUntilMs?: number;
}

/** Delivers an intent to a conversation's session (used with signal-with-start). */
export const intentSignal = defineSignal<[SessionIntent]>('intent');
/** Confirms, declines or cancels a tool call, or reports its final message delivered. */
export const controlSignal = defineSignal<[SessionControl]>('control');
/** Ends the session after the pending intents are done. */
export const endSessionSignal = defineSignal<[]>('endSession');
/** Reads the session state (context, flags, remembered outputs) and counters. */
export const sessionStateQuery = defineQuery<SessionSnapshot>('state');

/** A call status callback as the session workflow receives it. */
export interface CallStatusUpdate {
  /** Provider call id (Twilio CallSid). */
  callSid: string;
  /** Provider status, e.g. `ringing`, `in-progress`, `completed`, `busy`, `no-answer`, `failed`. */
  status: string;
  /** Epoch milliseconds at which the webhook was received. */
  at: number;
}

/**
 * Tells a conversation's session the latest status of its call; the session keeps it in
 * `state.context.call.status` (and `statusAt`) so chains see it. Signal only (never starts a session).
 */
export const callStatusSignal = defineSignal<[CallStatusUpdate]>('callStatus');

/** Workflow id of the SMS thread between a tenant and one counterpart number (E.164). */
export function smsThreadWorkflowId(tenantId: string, phone: string): string {
  return `sms:${tenantId}:${phone}`;
}

/** An inbound SMS as workflows receive it (plain JSON, converted from the bus `InboundEvent`). */
export interface InboundSms {
  /** Provider message id (Twilio MessageSid); de-duplicates webhook retries. */
  messageSid: string;
  tenantId: string;
  /** The counterpart (sender). */
  from: string;
  /** The tenant's number the SMS was sent to. */
  to: string;
  body: string;
  /** Epoch milliseconds at which the webhook was received. */
  receivedAtMs: number;
  /** Credential whose auth token verified the webhook. */
  credential: string;
}

/** Input of a new (or continued-as-new) SMS thread workflow. */
export interface SmsThreadInput {
  tenantId: string;
  /** The counterpart number (E.164). */
  phone: string;
  /** Carried across continue-as-new; absent on the first run. */
  carried?: {
    messages: InboundSms[];
    subscribers: string[];
    recentSids: string[];
    received: number;
  };
}

/** Snapshot returned by {@link smsThreadStateQuery}. */
export interface SmsThreadState {
  tenantId: string;
  phone: string;
  /** The last messages (at most 50), oldest first. */
  messages: InboundSms[];
  /** Workflow ids inbound SMS are forwarded to. */
  subscribers: string[];
  /** Distinct messages received over the thread's life. */
  received: number;
}

/**
 * Delivers an inbound SMS: to the SMS thread (signal-with-start by the orchestrator), and from
 * the thread to every subscribed workflow.
 */
export const inboundSmsSignal = defineSignal<[InboundSms]>('inboundSms');
/** Subscribes a workflow (by workflow id) to a thread's future inbound SMS. */
export const subscribeSmsSignal = defineSignal<[string]>('subscribeSms');
/** Removes a subscription made with {@link subscribeSmsSignal}. */
export const unsubscribeSmsSignal = defineSignal<[string]>('unsubscribeSms');
/**
 * A subscriber (by workflow id) just texted the number something to answer (a reminder): the
 * next reply is for it. Subscribes it when it is not subscribed.
 */
export const smsAskedSignal = defineSignal<[string]>('smsAsked');
/** Reads an SMS thread's recent messages and subscribers. */
export const smsThreadStateQuery = defineQuery<SmsThreadState>('smsThreadState');

/** A provider family: the worker (and task queue) serving its operations. */
export type ProviderFamily = Exclude<keyof TaskQueueNames, 'Chains'>;

/**
 * The external providers Switchboard calls, as operators see them (runs, stats, metrics): one
 * per worker family (Twilio behind the telephony worker, HubSpot behind the CRM worker, tenant
 * endpoints behind the webhook worker).
 */
export const ProviderNames = {
  Calcom: 'calcom',
  Twilio: 'twilio',
  Hubspot: 'hubspot',
  Webhook: 'webhook',
} as const;
/** One of {@link ProviderNames}. */
export type ProviderName = (typeof ProviderNames)[keyof typeof ProviderNames];

const FAMILY_PROVIDERS: Readonly<Record<ProviderFamily, ProviderName>> = {
  Calcom: ProviderNames.Calcom,
  Telephony: ProviderNames.Twilio,
  Crm: ProviderNames.Hubspot,
  Webhook: ProviderNames.Webhook,
};

/** The provider a worker family calls. */
export function familyProvider(family: ProviderFamily): ProviderName {
  return FAMILY_PROVIDERS[family];
}

export * from './lifecycle.js';
