// Switchboard test console: one ES module, no build step, no framework. It is a plain client of
// the /v1 API on this origin (the API key stays in sessionStorage), plus /console/config.json and
// the console's fault-injection route for the dev stack's provider sandboxes.

const KEY_STORAGE = 'switchboard.console.apiKey';
const AGENT_STORAGE = 'switchboard.console.agent';
/** Event kinds shown as call events (the rest are shown too, in a quieter style). */
const LOUD_KINDS = new Set(['respond', 'progress', 'handoff', 'call_control', 'confirmation_required', 'failed']);

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
  /** @type {{traceUrlTemplate: string | null, sandboxes: Record<string, string>}} */
  config: { traceUrlTemplate: null, sandboxes: {} },
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

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Creates an element: `h('td', {className: 'x'}, 'text', child)`; strings become text nodes. */
function h(tag, props = {}, ...children) {
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

function setStatus(message, kind = 'info') {
  const el = $('status');
  el.textContent = message;
  el.dataset.kind = kind;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** A JSON request with the API key; throws {@link ApiError} on a non-2xx answer. */
async function api(method, path, body, headers = {}) {
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

const conv = (suffix = '') => `/v1/conversations/${state.conversationId}${suffix}`;
const pretty = (v) => JSON.stringify(v, null, 2);
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

/**
 * Runs `fn` `ms` after the first call, once for all calls in between: a burst of events makes
 * one refresh, and a steady stream still refreshes every `ms` (a debounce would wait forever).
 */
function throttle(fn, ms) {
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
function guarded(fn) {
  return (...args) =>
    Promise.resolve(fn(...args)).catch((err) => {
      setStatus(err instanceof Error ? err.message : String(err), 'error');
    });
}

// ---------------------------------------------------------------------------------------------
// API key and agents

async function connect() {
  try {
    const { agents } = await api('GET', '/v1/agents');
    sessionStorage.setItem(KEY_STORAGE, state.key);
    $('forget-key').hidden = false;
    $('main').hidden = false;
    const select = /** @type {HTMLSelectElement} */ ($('agent'));
    select.replaceChildren(...agents.map((a) => h('option', { value: a.name }, a.name)));
    const remembered = sessionStorage.getItem(AGENT_STORAGE);
    if (remembered && agents.some((a) => a.name === remembered)) select.value = remembered;
    setStatus(`Connected: ${agents.length} agent(s).`);
    if (agents.length > 0) await chooseAgent(select.value);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
      setStatus('That API key was refused.', 'error');
    } else throw err;
  }
}

async function chooseAgent(name) {
  sessionStorage.setItem(AGENT_STORAGE, name);
  // A test call belongs to one agent: another agent needs a new one.
  endCallView();
  const agent = await api('GET', `/v1/agents/${encodeURIComponent(name)}`);
  state.agent = agent;
  $('agent-actions').replaceChildren(
    ...agent.actions.map((a) =>
      h(
        'li',
        {},
        h('span', { className: `badge status-${a.status.toLowerCase()}` }, a.status),
        ` ${a.name}`,
        a.problems?.length
          ? h('span', { className: 'hint' }, ` — ${a.problems.map((p) => p.message ?? p).join('; ')}`)
          : '',
      ),
    ),
  );
  const schemas = await parameterSchemas(agent);
  $('action-forms').replaceChildren(...agent.actions.map((a) => actionForm(a.name, schemas.get(a.name))));
  // The forms show at once (their Run buttons wait for a test call).
  $('actions-panel').hidden = false;
  $('chat-panel').hidden = !agent.llm || state.conversationId === null;
}

/**
 * The JSON Schema of each action's parameters. `GET /v1/agents/:name` does not carry them, the
 * agent's MCP `tools/list` does (the same export an LLM gets); actions it leaves out (those
 * that run on every turn) get a raw JSON arguments box instead.
 */
async function parameterSchemas(agent) {
  const schemas = new Map();
  for (const a of agent.actions) if (a.parameters) schemas.set(a.name, a.parameters);
  if (schemas.size === agent.actions.length) return schemas;
  try {
    const answer = await api(
      'POST',
      `/v1/mcp/${encodeURIComponent(agent.name)}`,
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
      { accept: 'application/json, text/event-stream' },
    );
    for (const tool of answer?.result?.tools ?? []) {
      const name = tool._meta?.['x-switchboard']?.actionName ?? tool.name;
      if (!schemas.has(name)) schemas.set(name, tool.inputSchema);
    }
  } catch (err) {
    setStatus(`Parameter schemas unavailable (${err.message}); enter arguments as JSON.`, 'warn');
  }
  return schemas;
}

// ---------------------------------------------------------------------------------------------
// Forms generated from parameter schemas

const typeOf = (schema) => {
  const t = Array.isArray(schema?.type) ? schema.type.find((x) => x !== 'null') : schema?.type;
  return t ?? 'string';
};

/** One input for one parameter; `data-kind` tells {@link readArguments} how to read it. */
function field(name, schema, required) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  const type = typeOf(schema);
  const common = { id, name, required, title: schema.description ?? '' };
  let input;
  if (Array.isArray(schema.enum)) {
    input = h(
      'select',
      { ...common, dataset: { kind: type === 'string' ? 'enum' : 'json' } },
      required ? '' : h('option', { value: '' }, '(not set)'),
      schema.enum.map((v) => h('option', { value: type === 'string' ? v : JSON.stringify(v) }, String(v))),
    );
  } else if (type === 'boolean') {
    input = required
      ? h('input', { ...common, type: 'checkbox', required: false, dataset: { kind: 'checkbox' } })
      : h(
          'select',
          { ...common, dataset: { kind: 'json' } },
          h('option', { value: '' }, '(not set)'),
          h('option', { value: 'true' }, 'true'),
          h('option', { value: 'false' }, 'false'),
        );
  } else if (type === 'number' || type === 'integer') {
    input = h('input', {
      ...common,
      type: 'number',
      step: type === 'integer' ? '1' : 'any',
      dataset: { kind: 'number' },
    });
  } else if (type === 'array' || type === 'object') {
    input = h('textarea', {
      ...common,
      rows: 2,
      spellcheck: false,
      placeholder: type === 'array' ? '["…"]' : '{"…": …}',
      dataset: { kind: 'json' },
    });
  } else {
    const html = { date: 'date', time: 'time' }[schema.format] ?? 'text';
    input = h('input', {
      ...common,
      type: html,
      placeholder: schema.format === 'date-time' ? '2025-03-14T15:00:00' : '',
      dataset: { kind: 'string' },
    });
  }
  if (schema.default !== undefined) {
    if (input.dataset.kind === 'checkbox') input.checked = schema.default === true;
    else input.value = typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default);
  }
  return h(
    'div',
    { className: 'field' },
    h('label', { htmlFor: id }, name, required ? h('span', { className: 'req' }, ' *') : '', ` (${type})`),
    input,
    schema.description ? h('small', {}, schema.description) : '',
  );
}

function actionForm(name, schema) {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const fields = schema
    ? Object.entries(props).map(([p, s]) => field(p, s, required.has(p)))
    : [field('__raw', { type: 'object', description: 'Arguments as a JSON object' }, false)];
  const form = h(
    'form',
    { className: 'action', dataset: { action: name }, noValidate: false },
    h('h3', {}, name),
    fields.length ? fields : h('p', { className: 'hint' }, 'No parameters.'),
    h('button', { type: 'submit', className: 'run', disabled: state.conversationId === null }, `Run ${name}`),
  );
  form.addEventListener(
    'submit',
    guarded(async (e) => {
      e.preventDefault();
      await runAction(name, readArguments(form));
    }),
  );
  return h('details', { className: 'action-details', open: true }, h('summary', {}, name), form);
}

/** The form's values as tool-call arguments; empty optional fields are left out. */
function readArguments(form) {
  const args = {};
  for (const el of form.querySelectorAll('[data-kind]')) {
    const { kind } = el.dataset;
    const raw = kind === 'checkbox' ? el.checked : el.value.trim();
    if (raw === '') continue;
    let value = raw;
    if (kind === 'number') value = Number(raw);
    if (kind === 'json') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new Error(`'${el.name}' is not valid JSON`);
      }
    }
    if (el.name === '__raw') Object.assign(args, value);
    else args[el.name] = value;
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Test call, tool calls, confirmation and cancel

async function startCall() {
  const contactText = /** @type {HTMLTextAreaElement} */ ($('contact')).value.trim();
  let contact;
  try {
    contact = contactText === '' ? undefined : JSON.parse(contactText);
  } catch {
    throw new Error('Contact variables must be a JSON object.');
  }
  const created = await api('POST', '/v1/conversations', {
    agent: state.agent.name,
    sandbox: true,
    ...(contact ? { contact } : {}),
  });
  state.conversationId = created.id;
  state.actionOf.clear();
  state.current = null;
  $('conversation').textContent = created.id;
  for (const b of document.querySelectorAll('button.run')) b.disabled = false;
  for (const id of ['events-panel', 'runs-panel', 'transcript-panel', 'cleanup-panel']) {
    $(id).hidden = false;
  }
  $('faults-panel').hidden = Object.keys(state.config.sandboxes).length === 0;
  $('chat-panel').hidden = !state.agent.llm;
  for (const id of ['events', 'transcript', 'call-result', 'chat-reply', 'cleanup-report']) $(id).replaceChildren();
  $('call-result').hidden = true;
  $('cleanup-report').hidden = true;
  document.querySelector('#runs tbody').replaceChildren();
  setStatus(`Test call ${created.id} started with ${created.agent}.`);
  followEvents(created.id);
}

/** Forgets the current test call in the page (the conversation itself is left as it is). */
function endCallView() {
  state.stream?.abort();
  state.stream = null;
  state.conversationId = null;
  state.current = null;
  $('conversation').textContent = '';
  for (const id of ['events-panel', 'runs-panel', 'transcript-panel', 'cleanup-panel', 'faults-panel', 'chat-panel']) {
    $(id).hidden = true;
  }
}

async function runAction(name, args) {
  if (state.conversationId === null) throw new Error('Start a test call first.');
  showResult({ id: '', status: 'sending', messages: [], outputs: {}, events: [] }, name);
  const result = await api(
    'POST',
    conv('/tool-calls'),
    { name, arguments: args },
    { 'idempotency-key': crypto.randomUUID() },
  ).catch((err) => {
    // A refused call (400, 409…) is a result worth showing too, not only a status line.
    if (err instanceof ApiError && err.body?.error) {
      return { id: '', status: 'rejected', messages: [], outputs: {}, events: [], error: err.body.error };
    }
    throw err;
  });
  if (result.id) state.actionOf.set(result.id, name);
  showResult(result, name);
  refreshSoon();
}

/** Shows a tool call's outcome, with Confirm/Decline or Cancel while it is pending. */
function showResult(result, action = state.actionOf.get(result.id) ?? state.current?.action ?? '') {
  state.current = { ...result, action };
  const box = $('call-result');
  box.hidden = false;
  box.dataset.status = result.status;
  const buttons = [];
  if (result.status === 'awaiting_confirmation') {
    buttons.push(
      h(
        'button',
        { type: 'button', className: 'confirm', onclick: guarded(() => control(result.id, 'confirm')) },
        'Confirm',
      ),
      h(
        'button',
        { type: 'button', className: 'decline secondary', onclick: guarded(() => control(result.id, 'decline')) },
        'Decline',
      ),
    );
  }
  if (result.status === 'running' || result.status === 'accepted' || result.status === 'awaiting_confirmation') {
    buttons.push(
      h(
        'button',
        { type: 'button', className: 'cancel secondary', onclick: guarded(() => control(result.id, 'cancel')) },
        'Cancel',
      ),
    );
  }
  box.replaceChildren(
    h(
      'div',
      { className: 'result-head' },
      h('strong', {}, action),
      ' ',
      h('span', { className: `badge status-${result.status}` }, result.status),
      result.id ? h('span', { className: 'mono hint' }, ` ${result.id}`) : '',
    ),
    result.status === 'awaiting_confirmation' ? h('p', { className: 'prompt' }, `Confirm "${action}"?`) : '',
    result.messages?.length
      ? h(
          'ul',
          { className: 'messages' },
          result.messages.map((m) => h('li', {}, m)),
        )
      : '',
    result.error ? h('p', { className: 'error' }, `${result.error.code}: ${result.error.message}`) : '',
    Object.keys(result.outputs ?? {}).length ? h('pre', { className: 'outputs' }, pretty(result.outputs)) : '',
    buttons.length ? h('div', { className: 'row' }, buttons) : '',
  );
}

async function control(callId, kind) {
  const path = conv(`/tool-calls/${callId}/${kind === 'cancel' ? 'cancel' : 'confirmation'}`);
  const result = await api('POST', path, kind === 'cancel' ? undefined : { confirmed: kind === 'confirm' });
  showResult(result);
  refreshSoon();
}

// ---------------------------------------------------------------------------------------------
// Live events: SSE read with fetch (EventSource cannot send the Authorization header)

function followEvents(conversationId) {
  state.stream?.abort();
  const abort = new AbortController();
  state.stream = abort;
  let lastId;
  const badge = $('events-state');
  const loop = async () => {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        badge.textContent = 'connecting';
        const res = await fetch(`/v1/conversations/${conversationId}/events`, {
          headers: {
            authorization: `Bearer ${state.key}`,
            accept: 'text/event-stream',
            ...(lastId ? { 'last-event-id': lastId } : {}),
          },
          signal: abort.signal,
        });
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        badge.textContent = 'live';
        badge.dataset.live = 'true';
        attempt = 0;
        for await (const frame of sseFrames(res.body)) {
          if (frame.id) lastId = frame.id;
          if (frame.data !== undefined) onEvent(frame.event ?? 'message', JSON.parse(frame.data));
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        console.warn('event stream', err);
      }
      badge.textContent = 'reconnecting';
      badge.dataset.live = 'false';
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
    }
  };
  void loop();
}

/** Parses a text/event-stream body into `{id, event, data}` frames. */
async function* sseFrames(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const key = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (key === 'data') frame.data = frame.data === undefined ? val : `${frame.data}\n${val}`;
        else if (key === 'event' || key === 'id') frame[key] = val;
      }
      if (frame.data !== undefined || frame.id) yield frame;
      end = buffer.indexOf('\n\n');
    }
  }
}

/** A short description of an event's data, by kind. */
function describe(kind, d) {
  switch (kind) {
    case 'accepted':
      return `${d.action ?? ''} accepted`;
    case 'respond':
    case 'progress':
      return d.message ?? '';
    case 'handoff':
      return `handoff to ${d.target ?? '?'}${d.message ? `: ${d.message}` : ''}`;
    case 'call_control':
      return `${d.action}${d.status ? ` (${d.status})` : ''}${d.automatic ? ' (automatic)' : ''}`;
    case 'confirmation_required':
      return `waiting for confirmation of ${d.label ?? d.action}`;
    case 'effect':
      return `${d.kind ?? ''} ${d.name ?? ''} ${d.status ?? ''}${d.error ? `: ${d.error.message ?? pretty(d.error)}` : ''}`;
    case 'failed':
      return `${d.code}: ${d.message}`;
    case 'cancelled':
      return d.ignored ? `cancel ignored: ${d.reason ?? ''}` : (d.message ?? 'cancelled');
    case 'log':
      return `[${d.level}] ${d.message}`;
    case 'result':
      return `${d.status}${d.messages?.length ? ` — ${d.messages.join(' ')}` : ''}${d.error ? ` (${d.error.code})` : ''}`;
    default:
      return pretty(d);
  }
}

function onEvent(kind, payload) {
  // Events carry {intentId, seq, kind, data, at}; a result is the whole tool-call outcome.
  const intentId = kind === 'result' ? payload.id : payload.intentId;
  const data = kind === 'result' ? payload : (payload.data ?? {});
  if (kind === 'accepted' && data.action) {
    state.actionOf.set(intentId, data.action);
    // The tool call we are waiting for has an id now: it can be cancelled before it answers.
    if (state.current?.status === 'sending' && state.current.action === data.action) {
      showResult({ ...state.current, id: intentId, status: 'running' });
    }
  }
  const item = h(
    'li',
    { className: `event kind-${kind}${LOUD_KINDS.has(kind) || kind === 'result' ? ' loud' : ''}`, dataset: { kind } },
    h('span', { className: 'at' }, time(payload.at) || new Date().toLocaleTimeString()),
    h('span', { className: 'badge' }, kind),
    h('span', { className: 'action' }, state.actionOf.get(intentId) ?? ''),
    h('span', { className: 'text' }, describe(kind, data)),
  );
  item.title = pretty(payload);
  const log = $('events');
  log.append(item);
  log.scrollTop = log.scrollHeight;
  if (kind === 'result' && state.current?.id === intentId) showResult(payload);
  if (
    kind === 'confirmation_required' &&
    state.current?.id === intentId &&
    state.current.status !== 'awaiting_confirmation'
  ) {
    showResult({ ...state.current, status: 'awaiting_confirmation' });
  }
  if (kind === 'result' || kind === 'accepted' || kind === 'failed') refreshSoon();
}

// ---------------------------------------------------------------------------------------------
// Runs, transcript, chat

const refreshSoon = throttle(() => {
  void guarded(refreshRuns)();
  void guarded(refreshTranscript)();
}, 300);

function traceCell(traceId) {
  if (!traceId) return '';
  const template = state.config.traceUrlTemplate;
  if (!template) return h('span', { className: 'mono' }, traceId);
  return h(
    'a',
    { href: template.replace('{traceId}', traceId), target: '_blank', rel: 'noopener', className: 'mono' },
    traceId,
  );
}

async function refreshRuns() {
  const id = state.conversationId;
  if (id === null) return;
  const { runs } = await api('GET', conv('/runs'));
  if (id !== state.conversationId) return; // another test call started meanwhile
  // The audit row can trail the result event a little: look again while any run is unfinished.
  if (runs.some((r) => r.status === 'accepted' || r.status === 'running' || r.status === 'awaiting_confirmation')) {
    setTimeout(() => void guarded(refreshRuns)(), 1000);
  }
  document
    .querySelector('#runs tbody')
    .replaceChildren(
      ...runs.map((r) =>
        h(
          'tr',
          { dataset: { run: r.id, status: r.status } },
          h('td', {}, r.action),
          h('td', {}, h('span', { className: `badge status-${r.status}` }, r.status)),
          h('td', {}, time(r.acceptedAt)),
          h('td', {}, r.durationMs === null || r.durationMs === undefined ? '' : `${r.durationMs} ms`),
          h('td', { className: 'error' }, r.error ? `${r.error.code}: ${r.error.message ?? ''}` : ''),
          h('td', {}, traceCell(r.traceId)),
        ),
      ),
    );
}

async function refreshTranscript() {
  const id = state.conversationId;
  if (id === null) return;
  const { entries } = await api('GET', conv('/transcript?limit=1000'));
  if (id !== state.conversationId) return;
  $('transcript').replaceChildren(
    ...entries.map((e) => {
      if (e.type === 'message') {
        return h('li', { className: `msg role-${e.role}` }, h('span', { className: 'badge' }, e.role), ` ${e.text}`);
      }
      const t = e.toolCall;
      return h(
        'li',
        { className: `tool ${e.type}` },
        h('span', { className: 'badge' }, e.type === 'tool_call' ? 'tool call' : 'tool result'),
        ` ${t.name} `,
        e.type === 'tool_call'
          ? h('code', {}, JSON.stringify(t.arguments))
          : h('span', { className: `badge status-${t.status}` }, t.status),
        t.messages?.length && e.type === 'tool_result' ? ` ${t.messages.join(' ')}` : '',
        t.error && e.type === 'tool_result'
          ? h('span', { className: 'error' }, ` ${t.error.code}: ${t.error.message}`)
          : '',
      );
    }),
  );
}

async function sendTurn(text, confirmation) {
  const reply = $('chat-reply');
  reply.hidden = false;
  reply.replaceChildren(h('p', { className: 'hint' }, 'Thinking…'));
  const turn = await api('POST', conv('/turns'), { text, ...(confirmation === undefined ? {} : { confirmation }) });
  for (const a of turn.actions) if (a.call_id) state.actionOf.set(a.call_id, a.name);
  const pending = turn.pending_confirmation;
  reply.replaceChildren(
    h('p', { className: 'agent-says' }, turn.text || '(no words)'),
    turn.actions.length
      ? h(
          'ul',
          {},
          turn.actions.map((a) =>
            h('li', {}, `${a.name} (${a.trigger}): `, h('span', { className: `badge status-${a.status}` }, a.status)),
          ),
        )
      : '',
    pending
      ? h(
          'div',
          { className: 'row' },
          `Confirm ${pending.action}? `,
          h('button', { type: 'button', onclick: guarded(() => sendTurn('Yes.', true)) }, 'Yes'),
          h('button', { type: 'button', className: 'secondary', onclick: guarded(() => sendTurn('No.', false)) }, 'No'),
        )
      : '',
  );
  refreshSoon();
}

// ---------------------------------------------------------------------------------------------
// Simulate failure, clean up

const FAULT_PATHS = { calcom: '/v2/bookings', twilio: '/2010-04-01/Accounts', hubspot: '/crm/v3' };

function faultFromForm() {
  const kind = /** @type {HTMLSelectElement} */ ($('fault-kind')).value;
  const count = Number(/** @type {HTMLInputElement} */ ($('fault-count')).value || 1);
  const method = /** @type {HTMLSelectElement} */ ($('fault-method')).value;
  const pathPrefix = /** @type {HTMLInputElement} */ ($('fault-path')).value.trim();
  const base =
    kind === 'timeout'
      ? { delayMs: 30_000 }
      : kind === 'drop'
        ? { dropAfterCommit: true }
        : { status: Number(kind), ...(kind === '429' || kind === '503' ? { retryAfterSeconds: 1 } : {}) };
  return { ...base, count, ...(method ? { method } : {}), ...(pathPrefix ? { pathPrefix } : {}) };
}

async function injectFault(provider, fault) {
  await api('POST', `/console/sandboxes/${provider}/faults`, fault);
  const what = fault.status ?? (fault.delayMs ? `${fault.delayMs} ms delay` : 'drop after commit');
  $('fault-status').textContent =
    `${provider}: the next ${fault.count ?? 1} ${fault.method ?? ''} request(s)${fault.pathPrefix ? ` to ${fault.pathPrefix}…` : ''} fail with ${what}.`;
}

async function clearFaults(provider) {
  await api('DELETE', `/console/sandboxes/${provider}/faults`);
  $('fault-status').textContent = `${provider}: faults cleared.`;
}

async function cleanUp() {
  const box = $('cleanup-report');
  box.hidden = false;
  box.replaceChildren(h('p', { className: 'hint' }, 'Cleaning up…'));
  await api('POST', conv('/compensate'), undefined, { 'idempotency-key': crypto.randomUUID() });
  // Compensation is a workflow: follow the recorded effects until none is left pending.
  const deadline = Date.now() + 60_000;
  let effects = await api('GET', conv('/sandbox-effects'));
  while (effects.summary.pending > 0 && Date.now() < deadline) {
    renderEffects(effects, true);
    await new Promise((r) => setTimeout(r, 500));
    effects = await api('GET', conv('/sandbox-effects'));
  }
  renderEffects(effects, effects.summary.pending > 0);
}

function renderEffects({ summary, effects }, inProgress) {
  $('cleanup-report').replaceChildren(
    h(
      'p',
      { className: 'summary', dataset: { done: String(!inProgress) } },
      inProgress ? 'Cleaning up… ' : 'Clean-up finished: ',
      `${summary.undone} undone, ${summary.pending} pending, ${summary.failed} failed, ${summary.irreversible} irreversible.`,
    ),
    effects.length === 0
      ? h('p', { className: 'hint' }, 'This test call made no side effects.')
      : h(
          'table',
          { id: 'effects' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Operation', 'Reference', 'State', 'Note'].map((t) => h('th', {}, t)),
            ),
          ),
          h(
            'tbody',
            {},
            effects.map((e) =>
              h(
                'tr',
                { dataset: { state: e.state } },
                h('td', {}, e.operation),
                h('td', { className: 'mono' }, e.providerRef ?? ''),
                h('td', {}, h('span', { className: `badge state-${e.state}` }, e.state)),
                h('td', {}, e.reason ?? e.description ?? ''),
              ),
            ),
          ),
        ),
  );
}

// ---------------------------------------------------------------------------------------------
// Wiring

async function main() {
  state.config = await fetch('/console/config.json').then((r) => r.json());
  const providers = Object.keys(state.config.sandboxes ?? {});
  const providerSelect = /** @type {HTMLSelectElement} */ ($('fault-provider'));
  providerSelect.replaceChildren(...providers.map((p) => h('option', { value: p }, p)));
  const pathInput = /** @type {HTMLInputElement} */ ($('fault-path'));
  const hintPath = () => {
    pathInput.placeholder = FAULT_PATHS[providerSelect.value] ?? '/';
  };
  hintPath();
  providerSelect.addEventListener('change', hintPath);

  $('key-form').addEventListener(
    'submit',
    guarded(async (e) => {
      e.preventDefault();
      state.key = /** @type {HTMLInputElement} */ ($('api-key')).value.trim();
      await connect();
    }),
  );
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    location.reload();
  });
  $('agent').addEventListener(
    'change',
    guarded((e) => chooseAgent(e.target.value)),
  );
  $('start-call').addEventListener('click', guarded(startCall));
  $('refresh-runs').addEventListener('click', guarded(refreshRuns));
  $('refresh-transcript').addEventListener('click', guarded(refreshTranscript));
  $('chat-form').addEventListener(
    'submit',
    guarded(async (e) => {
      e.preventDefault();
      const input = /** @type {HTMLInputElement} */ ($('chat-text'));
      const text = input.value.trim();
      input.value = '';
      await sendTurn(text);
    }),
  );
  $('fault-form').addEventListener(
    'submit',
    guarded(async (e) => {
      e.preventDefault();
      await injectFault(providerSelect.value, faultFromForm());
    }),
  );
  $('clear-faults').addEventListener(
    'click',
    guarded(() => clearFaults(providerSelect.value)),
  );
  $('clean-up').addEventListener('click', guarded(cleanUp));

  if (state.key) {
    /** @type {HTMLInputElement} */ ($('api-key')).value = state.key;
    await connect();
  } else setStatus('Enter an API key to start.');
}

void guarded(main)();
