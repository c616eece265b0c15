export {
  activityOperation,
  failureOf,
  PROVIDER_CALLS_RETENTION_MS,
  ProviderCallLog,
  type ProviderCallLogOptions,
  withCallLog,
} from './call-log.js';
export { type CredentialAccess, createCredentialAccess } from './credentials.js';
export {
  errorForStatus,
  ProviderError,
  type ProviderErrorCode,
  ProviderErrorCodes,
  retryAfterMs,
  toActivityFailure,
} from './errors.js';
export { createProviderHttp, type ProviderHttp, type ProviderRequest, type ProviderResponse } from './http.js';
export { currentOperation, measureProviderRequest, requestErrorType } from './request-metrics.js';
export {
  type IrreversibleEffect,
  noteSandboxEffect,
  recordIrreversibleEffects,
  resultField,
  type SandboxEffectNote,
} from './sandbox-effects.js';
export {
  type ProviderWorkerContext,
  type ProviderWorkerSpec,
  runProviderWorker,
  withFailureMapping,
} from './worker.js';
