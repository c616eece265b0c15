// The workflow bundle's entry: every workflow a chains worker can run.
export { conversationSession } from './session.workflow.js';
