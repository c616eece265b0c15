export type {
  FinalOutcome,
  IntentRef,
  LifecyclesStarted,
  OutcomeBatch,
  OutcomeThenLifecycles,
  OutcomeThenLifecyclesActivities,
  ProviderActivities,
  ProviderCall,
  PublishedEvent,
  SessionActivities,
  WebhookActivities,
  WebhookCall,
  WorkflowSpan,
} from './activity-types.js';
export { effectKey } from './activity-types.js';
export { loadWorkflowCode, type WorkflowCodeOptions } from './bundle.js';
export { type LifecycleStart, startBookingLifecycleWorkflow } from './lifecycle-start.js';
export { createOutcomeThenLifecyclesActivities } from './outcome-then-lifecycles.js';
export {
  RESULT_DELIVERY_MAX_ATTEMPTS,
  RESULT_DELIVERY_WORKFLOW,
  type ResultDeliveryActivities,
  type ResultDeliveryInput,
  type ResultDeliveryTarget,
  resultDeliveryWorkflowId,
} from './result-delivery.js';
export { startResultDeliveryWorkflow } from './result-delivery-start.js';
export {
  type CompensationItem,
  type CompensationReport,
  SANDBOX_COMPENSATION_WORKFLOW,
  type SandboxCompensationActivities,
  type SandboxCompensationInput,
  type SandboxEffectView,
  sandboxCompensationWorkflowId,
} from './sandbox-compensation.js';
export type {
  TestCallCleanup,
  TestCallCleanupActivities,
  TestCallEndDecision,
  TestCallEndTrigger,
} from './test-call-cleanup.js';
export {
  workflowBundlePath,
  workflowPreloadModules,
  workflowsPath,
  workflowTracingModule,
} from './workflow-modules.js';
