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
