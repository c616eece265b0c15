// Live events: SSE read with fetch (EventSource cannot send the Authorization header).

import { refreshSoon } from './refresh.js';
import { $, h, pretty, state, time } from './shared.js';
import { showResult } from './tool-calls.js';

/** Event kinds shown as call events (the rest are shown too, in a quieter style). */
const LOUD_KINDS = new Set(['respond', 'progress', 'handoff', 'call_control', 'confirmation_required', 'failed']);

export function followEvents(conversationId) {
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
export async function* sseFrames(body) {
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
export function describe(kind, d) {
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

export function onEvent(kind, payload) {
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
