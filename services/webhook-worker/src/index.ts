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
export { TOKEN_RESPONSE_MAX_BYTES } from './oauth2.js';
export {
  DEFAULT_REFRESH_MARGIN_MS,
  DEFAULT_UNSTATED_LIFETIME_MS,
  OAuth2TokenCache,
  type TokenCacheOptions,
  type TokenGrant,
} from './oauth2-cache.js';
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
