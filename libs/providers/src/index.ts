export {
  activityOperation,
  failureOf,
  PROVIDER_CALLS_RETENTION_MS,
  ProviderCallLog,
  type ProviderCallLogOptions,
  withCallLog,
} from './call-log.js';
export {
  type CredentialUse,
  markCredentialOk,
  withCredentialClient,
  withCredentialStatus,
} from './credential-status.js';
export { type CredentialAccess, createCredentialAccess } from './credentials.js';
export { type EffectClaim, type EffectDone, runEffectOnce } from './effect-once.js';
export {
  errorForStatus,
  ProviderError,
  type ProviderErrorCode,
  ProviderErrorCodes,
  retryAfterMs,
  toActivityFailure,
} from './errors.js';
export { createProviderHttp, type ProviderHttp, type ProviderRequest, type ProviderResponse } from './http.js';
export { type OperationImpl, serveOperation } from './operation.js';
export { currentOperation, measureProviderRequest, requestErrorType } from './request-metrics.js';
export {
  type IrreversibleEffect,
  noteSandboxEffect,
  recordIrreversibleEffects,
  resultField,
  type SandboxEffectNote,
} from './sandbox-effects.js';
export {
  DEFAULT_VAPI_CONTROL_HOSTS,
  sendVapiControl,
  VAPI,
  type VapiControlAnswer,
  VapiControlErrorCodes,
  type VapiControlMessage,
  type VapiControlOptions,
  type VapiTransferTarget,
  vapiAddMessage,
  vapiControlHostsFrom,
  vapiControlUrlProblem,
  vapiEndCall,
  vapiSay,
  vapiTransfer,
} from './vapi-control.js';
export {
  type ProviderWorkerContext,
  type ProviderWorkerSpec,
  runProviderWorker,
  withFailureMapping,
} from './worker.js';
