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
} from './activity-types.js';
export { effectKey } from './activity-types.js';
export { toApplicationFailure, workflowBundlePath, workflowsPath } from './failures.js';
export {
  type CompensationItem,
  type CompensationReport,
  SANDBOX_COMPENSATION_WORKFLOW,
  type SandboxCompensationActivities,
  type SandboxCompensationInput,
  type SandboxEffectView,
  sandboxCompensationWorkflowId,
} from './sandbox-compensation.js';
