/**
 * The activities that deliver async results (`planResultDelivery`, `deliverResult`), served on
 * the webhook task queue: the POST to the agent's result webhook goes through the same
 * outbound policy (address checks, no redirects, bounded body) and signing as every webhook.
 */

import { type CanonicalAction, visibleOutputs } from '@switchboard/actions';
import {
  RESULT_DELIVERY_MAX_ATTEMPTS,
  type ResultDeliveryActivities,
  type ResultDeliveryTarget,
} from '@switchboard/chains';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import {
  type DeliveryOutcome,
  findAgentResultWebhook,
  findConversation,
  findPublishedAction,
  findRunForDelivery,
  type RunForDelivery,
  recordRunDelivery,
} from '@switchboard/db';
import { type ProviderHttp, sendVapiControl, vapiAddMessage } from '@switchboard/providers';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WebhookDeps } from './endpoints.js';
import { signer } from './endpoints.js';
import { OutboundError, sendOutbound } from './outbound.js';
import { type DeliveredRun, judgeDeliveryStatus, resultForModel, resultWebhookBody } from './result-delivery.js';
import { Signing } from './signing.js';

/** Timeout of one delivery POST. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** What one attempt ended with. */
interface Attempt {
  verdict: 'delivered' | 'retry' | 'permanent';
  httpStatus?: number;
  error?: { code: string; message: string };
}

/** What the delivery activities need: the webhook worker's dependencies, and Vapi's. */
export interface ResultDeliveryDeps extends WebhookDeps {
  /** The provider HTTP client Vapi control requests go through. */
  http: ProviderHttp;
  /** `VAPI_CONTROL_HOSTS`: hosts a call's control URL may point at. */
  vapiControlHosts: readonly string[];
}

/** Builds the result delivery activities over the webhook worker's dependencies. */
export function createResultDeliveryActivities(deps: ResultDeliveryDeps): ResultDeliveryActivities {
  return {
    async planResultDelivery({ intentId }) {
      const run = await findRunForDelivery(deps.db, intentId);
      // Answered with its result (it finished within the wait): nothing to deliver.
      if (!run || !run.answeredEarly) return [];
      const targets: ResultDeliveryTarget[] = [];
      if (await findAgentResultWebhook(deps.db, run.tenantId, run.agentId)) targets.push('webhook');
      // A Vapi call's model learns the result from an added message, and answers it.
      const conversation = await findConversation(deps.db, run.tenantId, run.conversationId);
      if (conversation?.channel === 'vapi' && conversation.controlUrl !== undefined) targets.push('vapi');
      // A repeated delivery (a restarted workflow) skips what already arrived.
      return targets.filter((t) => run.deliveries[t]?.status !== 'delivered');
    },

    async deliverResult({ intentId, target }) {
      const attempt = Context.current().info.attempt;
      const run = await findRunForDelivery(deps.db, intentId);
      if (!run) throw ApplicationFailure.nonRetryable(`run ${intentId} not found`, 'not_found');
      const outcome = await attemptDelivery(deps, run, intentId, target, attempt);
      const last = outcome.verdict === 'permanent' || attempt >= RESULT_DELIVERY_MAX_ATTEMPTS;
      const status: DeliveryOutcome['status'] =
        outcome.verdict === 'delivered' ? 'delivered' : last ? 'failed' : 'retrying';
      await recordRunDelivery(deps.db, intentId, target, {
        status,
        attempts: attempt,
        at: new Date().toISOString(),
        ...(outcome.httpStatus === undefined ? {} : { httpStatus: outcome.httpStatus }),
        ...(outcome.error ? { error: outcome.error } : {}),
      });
      if (status === 'retrying') {
        throw ApplicationFailure.retryable(outcome.error?.message ?? 'delivery failed', outcome.error?.code);
      }
      return status;
    },
  };
}

async function attemptDelivery(
  deps: ResultDeliveryDeps,
  run: RunForDelivery,
  intentId: string,
  target: ResultDeliveryTarget,
  attempt: number,
): Promise<Attempt> {
  const delivered: DeliveredRun = {
    intentId,
    conversationId: run.conversationId,
    actionName: run.actionName,
    status: run.status,
    result: run.result,
  };
  if (target === 'vapi') return addVapiMessage(deps, run, delivered);
  const settings = await findAgentResultWebhook(deps.db, run.tenantId, run.agentId);
  if (!settings) {
    return { verdict: 'permanent', error: { code: 'not_configured', message: 'the agent has no result_webhook' } };
  }
  let secret: string | undefined;
  try {
    secret = (await deps.credentials.get(run.tenantId, settings.credential, 'http'))[Signing.SecretField];
  } catch (err) {
    return { verdict: 'permanent', error: { code: 'credential_invalid', message: (err as Error).message } };
  }
  if (!secret) {
    const message = `credential '${settings.credential}' has no '${Signing.SecretField}' field to sign with`;
    return { verdict: 'permanent', error: { code: 'credential_invalid', message } };
  }
  return post(deps, new URL(settings.url), JSON.stringify(resultWebhookBody(delivered)), {
    allowPrivate: settings.allowPrivate,
    headers: { 'idempotency-key': `result:${intentId}`, 'x-switchboard-delivery-attempt': String(attempt) },
    sign: signer(secret),
  });
}

/** One POST, judged (see {@link judgeDeliveryStatus}). */
async function post(
  deps: WebhookDeps,
  url: URL,
  body: string,
  options: { allowPrivate: boolean; headers: Record<string, string>; sign?: (body: string) => Record<string, string> },
): Promise<Attempt> {
  try {
    const response = await sendOutbound({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body,
      ...(options.sign ? { sign: options.sign } : {}),
      timeoutMs: DELIVERY_TIMEOUT_MS,
      maxResponseBytes: deps.maxResponseBytes,
      allowPrivate: options.allowPrivate,
      maxRedirects: 0,
    });
    const verdict = judgeDeliveryStatus(response.status);
    return verdict === 'delivered'
      ? { verdict, httpStatus: response.status }
      : {
          verdict,
          httpStatus: response.status,
          error: { code: 'delivery_refused', message: `${url.host} answered ${response.status}` },
        };
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    // A forbidden address or a request that cannot be built will not get better.
    const permanent = err.reason === 'forbidden' || err.reason === 'invalid_request';
    return {
      verdict: permanent ? 'permanent' : 'retry',
      error: { code: `delivery_${err.reason}`, message: err.message },
    };
  }
}

/** `add-message` with `triggerResponseEnabled` on the Vapi call's control URL (see `sendVapiControl`). */
async function addVapiMessage(
  deps: ResultDeliveryDeps,
  run: RunForDelivery,
  delivered: DeliveredRun,
): Promise<Attempt> {
  const conversation = await findConversation(deps.db, run.tenantId, run.conversationId);
  if (conversation?.controlUrl === undefined) {
    return { verdict: 'permanent', error: { code: 'not_configured', message: 'the call has no Vapi control URL' } };
  }
  const message = vapiAddMessage(resultForModel(await forTheModel(deps, run, delivered)), {
    role: 'system',
    triggerResponseEnabled: true,
  });
  try {
    const answer = await sendVapiControl(conversation.controlUrl, message, {
      http: deps.http,
      allowedHosts: deps.vapiControlHosts,
      timeoutMs: DELIVERY_TIMEOUT_MS,
    });
    return { verdict: 'delivered', httpStatus: answer.status };
  } catch (err) {
    if (!(err instanceof SwitchboardError)) throw err;
    const httpStatus = (err as { httpStatus?: number }).httpStatus;
    return {
      verdict: err.retryable ? 'retry' : 'permanent',
      ...(httpStatus === undefined ? {} : { httpStatus }),
      error: { code: err.code, message: err.message },
    };
  }
}

/**
 * The run as the model may read it: outputs marked `filter_from_agent` left out (as the drop-in
 * answers do), and none at all when the action's definition cannot be found to tell which.
 */
async function forTheModel(
  deps: ResultDeliveryDeps,
  run: RunForDelivery,
  delivered: DeliveredRun,
): Promise<DeliveredRun> {
  const result = delivered.result ?? {};
  const outputs = result.outputs;
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) return delivered;
  const row = await findPublishedAction(deps.db, run.tenantId, run.agentId, run.actionName);
  const visible = row
    ? visibleOutputs(row.canonical as unknown as CanonicalAction, outputs as Record<string, JsonValue>)
    : {};
  return { ...delivered, result: { ...result, outputs: visible } };
}
