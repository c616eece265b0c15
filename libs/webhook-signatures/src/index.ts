/**
 * `@switchboard/webhook-signatures`: how providers sign the webhooks they send, so that the
 * service verifying them (the conversation service) depends on this small library and not on
 * the worker that calls the provider.
 */
export { computeTwilioSignature, type SignedParams, verifyTwilioSignature } from './twilio.js';
