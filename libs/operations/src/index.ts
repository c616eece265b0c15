/**
 * `@switchboard/operations`: what each provider operation is, declared once (one module per
 * provider family): name, serving family and task queue, payload parser and types, result
 * type, and effect traits. Workflow-safe (no Node built-ins): the session workflow imports it.
 */
export * from './calcom.js';
export * from './calcom-payloads.js';
export {
  CALL_CONTROL_SUPPORT,
  CallControlErrorCodes,
  type ChannelSupport,
  callControlRefusal,
  channelOfCallContext,
} from './call-channels.js';
export {
  effectTraits,
  OPERATIONS,
  operationFamily,
  operationProvider,
  operationSpec,
  taskQueueForOperation,
} from './catalogue.js';
export * from './crm.js';
export * from './http.js';
export { CALL_RUNTIMES, type CallRuntime, type RuntimeProblem, runtimeProblems } from './runtime-support.js';
export {
  type CallControlAction,
  defineOperation,
  type EffectTraits,
  type ExactlyOnce,
  INVALID_PAYLOAD,
  invalidPayload,
  type OperationFamily,
  type OperationSpec,
  READ_ONLY,
  type Reversibility,
} from './spec.js';
export * from './telephony.js';
