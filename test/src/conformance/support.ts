/**
 * What the conformance suite needs to drive provider workers' activities outside Temporal: a
 * context with in-memory credentials and the real provider HTTP client, and call builders.
 */
import type { ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import type { CredentialProvider, CredentialSecret } from '@switchboard/db';
import { type CredentialAccess, createProviderHttp, type ProviderWorkerContext } from '@switchboard/providers';
import { trace } from '@switchboard/telemetry';

/** Credentials kept in memory, keyed by name; `authFailed` records what was refused. */
export function memoryCredentials(
  secrets: Record<string, { provider: CredentialProvider; secret: CredentialSecret }>,
): CredentialAccess & { refused: string[] } {
  const refused: string[] = [];
  return {
    refused,
    async get(_tenantId, name, provider) {
      const found = secrets[name];
      if (!found || found.provider !== provider) throw new Error(`no ${provider} credential '${name}'`);
      return found.secret;
    },
    async authFailed(_tenantId, name) {
      refused.push(name);
    },
    async ok() {},
  };
}

const silent = { info() {}, warn() {}, error() {}, debug() {}, fatal() {}, trace() {}, child: () => silent };

/**
 * A worker context for calling activities directly: real HTTP (what the sandboxes record),
 * in-memory credentials, no database (the provider workers keep no state of their own).
 */
export function conformanceContext(env: NodeJS.ProcessEnv, credentials: CredentialAccess): ProviderWorkerContext {
  const tracer = trace.getTracer('conformance');
  return {
    env,
    // The activities under test read credentials through `credentials`, never the pool.
    db: undefined as never,
    keyring: undefined as never,
    credentials,
    http: createProviderHttp({ tracer }),
    tracer,
    log: silent as never,
  };
}

let counter = 0;

/** A provider call as the chain would send it. */
export function providerCall(operation: string, payload: JsonValue): ProviderCall {
  counter++;
  return {
    tenantId: 'tenant_conformance',
    intentId: `int_conformance${counter}`,
    conversationId: 'conv_conformance',
    stepPointer: '/actions/0',
    operation,
    payload,
    sandbox: false,
  };
}
