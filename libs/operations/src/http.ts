/**
 * The custom HTTP operation (`http.request`, served by the webhook worker). Its payload is
 * parsed by the worker together with the tenant's endpoint (auth, address policy, signing).
 */
import { BuiltinOperations, type HttpRequestInput } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import { defineOperation } from './spec.js';

/** `http.request`: a custom HTTP API behind a tenant endpoint. */
export const httpRequest = defineOperation<HttpRequestInput, JsonValue>({
  name: BuiltinOperations.HttpRequest,
  family: 'Webhook',
  summary: "Calls an HTTP API behind one of the tenant's named endpoints.",
  traits: {
    reversibility: { reversible: false, why: 'a custom HTTP call cannot be undone generically' },
    exactlyOnce: 'receiver-key',
  },
});

/** Every `http.*` operation. */
export const HTTP_OPERATIONS = [httpRequest] as const;
