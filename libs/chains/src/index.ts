export type {
  FinalOutcome,
  IntentRef,
  OutcomeBatch,
  ProviderActivities,
  ProviderCall,
  PublishedEvent,
  SessionActivities,
  WebhookActivities,
  WebhookCall,
  WorkflowSpan,
} from './activity-types.js';
export { effectKey } from './activity-types.js';
export { loadWorkflowCode, type WorkflowCodeOptions, withStackTraceLimit } from './bundle.js';
export {
  toApplicationFailure,
  workflowBundlePath,
  workflowPreloadModules,
  workflowsPath,
  workflowTracingModule,
} from './failures.js';
export { type LifecycleStart, startBookingLifecycleWorkflow } from './lifecycle-start.js';
export {
  type CompensationItem,
  type CompensationReport,
  SANDBOX_COMPENSATION_WORKFLOW,
  type SandboxCompensationActivities,
  type SandboxCompensationInput,
  type SandboxEffectView,
  sandboxCompensationWorkflowId,
} from './sandbox-compensation.js';
