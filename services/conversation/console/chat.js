// Chat with an agent that has an LLM: one turn at a time, with its confirmation question.

import { refreshSoon } from './refresh.js';
import { $, api, conv, guarded, h, state } from './shared.js';

export async function sendTurn(text, confirmation) {
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
