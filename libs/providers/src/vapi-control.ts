/**
 * Vapi Live Call Control: the requests Switchboard sends to a call's `monitor.controlUrl`
 * (transfer, end call, say, add a message), typed from the official `@vapi-ai/server-sdk`, and
 * the one function that sends them and says truthfully what happened.
 *
 * A 2xx is what Vapi gives for an accepted control request. A 5xx, a 429, a timeout or a network
 * error is retryable (the request may not have reached the call); any other answer is a permanent
 * refusal, `call_control_refused`, which no retry of the same request can change (the call is
 * over, or the body is not what Vapi accepts).
 */
import type { Vapi } from '@vapi-ai/server-sdk';
import { errorForStatus, ProviderError } from './errors.js';
import type { ProviderHttp } from './http.js';

/** A Live Call Control request body: the SDK's client inbound messages Switchboard sends. */
export type VapiControlMessage =
  | Vapi.ClientInboundMessageMessage.Transfer
  | Vapi.ClientInboundMessageMessage.EndCall
  | Vapi.ClientInboundMessageMessage.Say
  | Vapi.ClientInboundMessageMessage.AddMessage;

/** Hosts (and their subdomains) a control URL may point at when nothing else is configured. */
export const DEFAULT_VAPI_CONTROL_HOSTS: readonly string[] = ['vapi.ai'];

/**
 * The hosts `VAPI_CONTROL_HOSTS` names (comma-separated, blanks ignored), or
 * {@link DEFAULT_VAPI_CONTROL_HOSTS} when it is not set: one reading for every service that sends
 * to control URLs. Set but naming no host gives an empty list, which each service refuses at start.
 */
export function vapiControlHostsFrom(value: string | undefined): readonly string[] {
  if (value === undefined) return DEFAULT_VAPI_CONTROL_HOSTS;
  return value
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

/** The `provider` of Vapi control errors, spans and metrics. */
export const VAPI = 'vapi';

/** Stable codes of control failures that are ours, not the provider's generic ones. */
export const VapiControlErrorCodes = {
  /** Vapi answered 4xx (not 429) or a redirect: the request is refused, retrying cannot help. */
  Refused: 'call_control_refused',
  /** The control URL is not an allowed Vapi host (or not https): nothing was sent. */
  UrlRefused: 'control_url_refused',
} as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return allowedHosts.some((allowed) => {
    const a = allowed.toLowerCase();
    return host === a || host.endsWith(`.${a}`);
  });
}

/**
 * Why `controlUrl` must not be sent to, or undefined when it may: it must be an absolute URL on
 * one of `allowedHosts` (or a subdomain of one) and https — plain http only to a loopback host
 * that was allowed explicitly (a local stand-in). The URL comes from the runtime's webhook, so
 * without this a tenant could make the worker post to any address.
 */
export function vapiControlUrlProblem(
  controlUrl: string,
  allowedHosts: readonly string[] = DEFAULT_VAPI_CONTROL_HOSTS,
): string | undefined {
  let url: URL;
  try {
    url = new URL(controlUrl);
  } catch {
    return 'it is not an absolute URL';
  }
  if (!hostAllowed(url.hostname, allowedHosts)) {
    return `its host '${url.hostname}' is not an allowed Vapi host (${allowedHosts.join(', ')}; see VAPI_CONTROL_HOSTS)`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return `it must be https, got ${url.protocol.replace(/:$/, '')}`;
}

/** What {@link sendVapiControl} needs besides the request. */
export interface VapiControlOptions {
  http: ProviderHttp;
  /** Hosts control URLs may point at (default {@link DEFAULT_VAPI_CONTROL_HOSTS}). */
  allowedHosts?: readonly string[];
  timeoutMs?: number;
}

/** What Vapi answered to an accepted control request. */
export interface VapiControlAnswer {
  status: number;
}

/**
 * Sends one Live Call Control request to the call's control URL. Resolves when Vapi accepted it
 * (2xx); throws a {@link ProviderError}: retryable for 5xx, 429, timeouts and network errors
 * (`provider_unavailable`, `provider_rate_limited`, `provider_timeout`), permanent
 * `call_control_refused` for any other answer and `control_url_refused` for a URL that is not
 * Vapi's (nothing is sent).
 */
export async function sendVapiControl(
  controlUrl: string,
  body: VapiControlMessage,
  options: VapiControlOptions,
): Promise<VapiControlAnswer> {
  const problem = vapiControlUrlProblem(controlUrl, options.allowedHosts);
  if (problem !== undefined) {
    throw new ProviderError(
      VAPI,
      VapiControlErrorCodes.UrlRefused,
      `the call's Vapi control URL is refused: ${problem}`,
    );
  }
  const response = await options.http.send({
    provider: VAPI,
    operation: `vapi.control.${body.type}`,
    method: 'POST',
    url: controlUrl,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    maxResponseBytes: 64 * 1024,
  });
  if (response.status >= 200 && response.status < 300) return { status: response.status };
  const detail = response.text.slice(0, 300);
  const error = errorForStatus(VAPI, response.status, detail, response.headers);
  if (error.retryable) throw error;
  throw new ProviderError(
    VAPI,
    VapiControlErrorCodes.Refused,
    `Vapi refused the '${body.type}' control request (${response.status}${detail ? `: ${detail}` : ''})`,
    { httpStatus: response.status },
  );
}

/** `{"type":"end-call"}`: hang up now. */
export function vapiEndCall(): Vapi.ClientInboundMessageMessage.EndCall {
  return { type: 'end-call' };
}

/** `{"type":"say",…}`: say `content`; with `endCallAfterSpoken` the call ends once it is said. */
export function vapiSay(content: string, endCallAfterSpoken: boolean): Vapi.ClientInboundMessageMessage.Say {
  return { type: 'say', content, endCallAfterSpoken };
}

/**
 * `{"type":"add-message",…}`: adds `content` to the conversation as `role`; with
 * `triggerResponseEnabled` the assistant answers it, else it is added silently.
 */
export function vapiAddMessage(
  content: string,
  options: { role?: Vapi.OpenAiMessageRole; triggerResponseEnabled: boolean },
): Vapi.ClientInboundMessageMessage.AddMessage {
  return {
    type: 'add-message',
    message: { role: options.role ?? 'system', content },
    triggerResponseEnabled: options.triggerResponseEnabled,
  };
}

/** Where a transfer goes, as Switchboard's transfer step has it. */
export interface VapiTransferTarget {
  kind: 'phone' | 'sip';
  /** E.164 number or `sip:` URI. */
  address: string;
}

/**
 * `{"type":"transfer",…}`: moves the call to a number or SIP address. `content` is said to the
 * caller first ('' for nothing); `whisper` set makes it a warm transfer that says it to whoever
 * answers before the caller is connected (`warm-transfer-say-message`), else it is blind.
 */
export function vapiTransfer(
  target: VapiTransferTarget,
  options: { content: string; whisper?: string },
): Vapi.ClientInboundMessageMessage.Transfer {
  const transferPlan: Vapi.TransferPlan =
    options.whisper !== undefined && options.whisper !== ''
      ? { mode: 'warm-transfer-say-message', message: options.whisper }
      : { mode: 'blind-transfer' };
  const destination: Vapi.ClientInboundMessageTransferDestination =
    target.kind === 'sip'
      ? { type: 'sip', sipUri: target.address, transferPlan }
      : { type: 'number', number: target.address, transferPlan };
  return { type: 'transfer', destination, ...(options.content !== '' ? { content: options.content } : {}) };
}
