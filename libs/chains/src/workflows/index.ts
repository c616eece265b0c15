// The workflow bundle's entry: every workflow a chains worker can run.

export { bookingLifecycle } from './booking-lifecycle.workflow.js';
export { type ProbeInput, type ProbeOutcome, providerProbe } from './provider-probe.workflow.js';
export { resultDelivery } from './result-delivery.workflow.js';
export { sandboxCompensation } from './sandbox-compensation.workflow.js';
export { conversationSession } from './session.workflow.js';
export { smsThread } from './sms-thread.workflow.js';
