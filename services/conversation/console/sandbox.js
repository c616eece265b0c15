// The provider sandboxes: simulated failures (fault injection) and the clean-up of a test call.

import { $, api, conv, h } from './shared.js';

export const FAULT_PATHS = { calcom: '/v2/bookings', twilio: '/2010-04-01/Accounts', hubspot: '/crm/v3' };

export function faultFromForm() {
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

export async function injectFault(provider, fault) {
  await api('POST', `/console/sandboxes/${provider}/faults`, fault);
  const what = fault.status ?? (fault.delayMs ? `${fault.delayMs} ms delay` : 'drop after commit');
  $('fault-status').textContent =
    `${provider}: the next ${fault.count ?? 1} ${fault.method ?? ''} request(s)${fault.pathPrefix ? ` to ${fault.pathPrefix}…` : ''} fail with ${what}.`;
}

export async function clearFaults(provider) {
  await api('DELETE', `/console/sandboxes/${provider}/faults`);
  $('fault-status').textContent = `${provider}: faults cleared.`;
}

export async function cleanUp() {
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

export function renderEffects({ summary, effects }, inProgress) {
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
