// The test call's transcript: messages, tool calls and their results.

import { $, api, conv, h, state } from './shared.js';

export async function refreshTranscript() {
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
