// Tool calls and their outcome: the result box, confirmation (Confirm/Decline) and Cancel.

import { refreshSoon } from './refresh.js';
import { $, ApiError, api, conv, guarded, h, pretty, state } from './shared.js';

export async function runAction(name, args) {
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
export function showResult(result, action = state.actionOf.get(result.id) ?? state.current?.action ?? '') {
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

export async function control(callId, kind) {
  const path = conv(`/tool-calls/${callId}/${kind === 'cancel' ? 'cancel' : 'confirmation'}`);
  const result = await api('POST', path, kind === 'cancel' ? undefined : { confirmed: kind === 'confirm' });
  showResult(result);
  refreshSoon();
}
