/**
 * The webhook worker: tenant webhooks (`callWebhook`) and custom API calls (`http.request`)
 * behind the tenant endpoint table, on the webhook task queue.
 */
export { isNonPublicAddress } from './address-policy.js';
export { loadWebhookOptions, type WebhookWorkerOptions } from './config.js';
export type { WebhookDeps } from './endpoints.js';
export {
  DEFAULT_API_KEY_HEADER,
  DEFAULT_MAX_REDIRECTS,
  HttpCredentialFields,
  HttpRequestErrorCodes,
  type HttpRequestPayload,
  type HttpRequestSigning,
} from './http-request.js';
export { OutboundFailures } from './outbound.js';
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  type SignatureCheck,
  Signing,
  signatureHeader,
  signatureOf,
  verifySignature,
} from './signing.js';
export {
  asProviderActivities,
  createWebhookActivities,
  WebhookErrorCodes,
  type WebhookWorkerActivities,
} from './webhook.activities.js';
