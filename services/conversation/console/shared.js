// What every page of the console shares: the session state, the API client, element helpers.

export const KEY_STORAGE = 'switchboard.console.apiKey';
export const AGENT_STORAGE = 'switchboard.console.agent';

export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

export const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
  /** @type {{traceUrlTemplate: string | null, workflowUrlTemplate: string | null, sandboxes: Record<string, string>}} */
  config: { traceUrlTemplate: null, workflowUrlTemplate: null, sandboxes: {} },
  /** The chosen agent as GET /v1/agents/:name returns it. */
  agent: null,
  conversationId: null,
  /** Action name of each tool call seen (from our calls and `accepted` events). */
  actionOf: new Map(),
  /** The tool call shown in the result box, while it may still change. */
  current: null,
  /** Aborts the event stream of the current conversation. */
  stream: null,
};

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

export function setStatus(message, kind = 'info') {
  const el = $('status');
  el.textContent = message;
  el.dataset.kind = kind;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** A JSON request with the API key; throws {@link ApiError} on a non-2xx answer. */
export async function api(method, path, body, headers = {}) {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${state.key}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = { error: { message: text } };
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

export const conv = (suffix = '') => `/v1/conversations/${state.conversationId}${suffix}`;
export const pretty = (v) => JSON.stringify(v, null, 2);
export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

/**
 * Runs `fn` `ms` after the first call, once for all calls in between: a burst of events makes
 * one refresh, and a steady stream still refreshes every `ms` (a debounce would wait forever).
 */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

/** Reports an error in the status line instead of an unhandled rejection. */
export function guarded(fn) {
  return (...args) =>
    Promise.resolve(fn(...args)).catch((err) => {
      setStatus(err instanceof Error ? err.message : String(err), 'error');
    });
}

/** A trace id as a link to the trace viewer (`TRACE_URL_TEMPLATE`), or as text without one. */
export function traceCell(traceId, label = traceId) {
  return linkCell(traceId, state.config.traceUrlTemplate, '{traceId}', label, 'trace');
}

/** A workflow id as a link to it in the Temporal UI (`TEMPORAL_UI_URL`), or as text without one. */
export function workflowCell(workflowId, label = workflowId) {
  return linkCell(workflowId, state.config.workflowUrlTemplate, '{workflowId}', label, 'workflow');
}

function linkCell(id, template, placeholder, label, kind) {
  if (!id) return '';
  if (!template) return h('span', { className: 'mono', title: id }, label);
  // A trace id is hex; a workflow id (session:<tenant>:<conversation>) is a path segment.
  const value = kind === 'workflow' ? encodeURIComponent(id) : id;
  return h(
    'a',
    {
      href: template.replace(placeholder, value),
      target: '_blank',
      rel: 'noopener',
      className: 'mono',
      title: id,
      dataset: { link: kind },
    },
    label,
  );
}
