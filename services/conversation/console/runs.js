// The test call's runs: one row per tool call, with its error and trace link.

import { api, conv, guarded, h, state, time, traceCell } from './shared.js';

export async function refreshRuns() {
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
