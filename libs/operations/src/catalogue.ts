/**
 * Every provider operation, looked up by name: the one place that says which worker serves
 * an operation (and so on which task queue it runs) and what its effect is like.
 */
import {
  familyProvider,
  type ProviderFamily,
  type ProviderName,
  type TaskQueueNames,
  TaskQueues,
} from '@switchboard/contracts/temporal';
import { CALCOM_OPERATIONS } from './calcom.js';
import { CRM_OPERATIONS } from './crm.js';
import { HTTP_OPERATIONS } from './http.js';
import type { EffectTraits, OperationFamily, OperationSpec } from './spec.js';
import { TELEPHONY_OPERATIONS } from './telephony.js';

/** Every declared operation. */
export const OPERATIONS: readonly OperationSpec[] = [
  ...CALCOM_OPERATIONS,
  ...TELEPHONY_OPERATIONS,
  ...CRM_OPERATIONS,
  ...HTTP_OPERATIONS,
] as readonly OperationSpec[];

const BY_NAME: ReadonlyMap<string, OperationSpec> = new Map(OPERATIONS.map((spec) => [spec.name, spec]));

/**
 * Which family serves the operations named `<prefix>.*` that have no spec. Operations of
 * histories recorded before a spec existed (and future ones a worker of the family serves)
 * still go to their family's queue, as the prefix rule of earlier releases sent them.
 */
const FAMILY_BY_PREFIX: Readonly<Record<string, OperationFamily>> = {
  calcom: 'Calcom',
  sms: 'Telephony',
  telephony: 'Telephony',
  crm: 'Crm',
  http: 'Webhook',
  session: 'session',
};

/** The spec of an operation; `undefined` for names nobody declared. */
export function operationSpec(operation: string): OperationSpec | undefined {
  return BY_NAME.get(operation);
}

/** The effect traits of an operation; `undefined` for names nobody declared. */
export function effectTraits(operation: string): EffectTraits | undefined {
  return BY_NAME.get(operation)?.traits;
}

/**
 * Which worker family serves an operation (its spec's family, else by its prefix);
 * `session` for the operations the session workflow answers itself, `undefined` when none does.
 */
export function operationFamily(operation: string): OperationFamily | undefined {
  const spec = BY_NAME.get(operation);
  if (spec !== undefined) return spec.family;
  const prefix = operation.slice(0, operation.indexOf('.'));
  return Object.hasOwn(FAMILY_BY_PREFIX, prefix) ? FAMILY_BY_PREFIX[prefix] : undefined;
}

/**
 * The task queue an operation's activity runs on in a deployment (`queues`, default
 * {@link TaskQueues}); `undefined` for `session.*` operations and for those no worker serves.
 */
export function taskQueueForOperation(operation: string, queues: TaskQueueNames = TaskQueues): string | undefined {
  const family = operationFamily(operation);
  return family === undefined || family === 'session' ? undefined : queues[family];
}

/**
 * The provider an operation calls (`calcom.book` → `calcom`, `sms.send` → `twilio`,
 * `http.request` → `webhook`); `undefined` for operations the session answers itself
 * (`session.*`) and unknown ones.
 */
export function operationProvider(operation: string): ProviderName | undefined {
  const family = operationFamily(operation);
  return family === undefined || family === 'session' ? undefined : familyProvider(family as ProviderFamily);
}
