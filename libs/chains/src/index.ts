export type {
  FinalOutcome,
  IntentRef,
  OutcomeBatch,
  PublishedEvent,
  SessionActivities,
  WebhookActivities,
  WebhookCall,
} from './activity-types.js';
export { toApplicationFailure, workflowBundlePath, workflowsPath } from './failures.js';
