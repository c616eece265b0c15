// Operations: how the tenant's runs are going, from the public API only — outcomes over time and
// per action and provider operation (`GET /v1/stats?buckets=`), stuck runs and recent failures
// (`GET /v1/runs`), each run linked to its trace and to its workflow in the Temporal UI.

import { $, api, guarded, h, time, traceCell, workflowCell } from './shared.js';

/** The outcomes the chart stacks, bottom up, with their legend labels. */
const OUTCOMES = [
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
  ['cancelled', 'Cancelled'],
  ['running', 'Running'],
  ['stuck', 'Stuck'],
];
/** Slices of the outcomes chart, and how many runs each run list shows. */
const BUCKETS = 12;
const LIST = 20;
/** How often the page refreshes itself while it is shown. */
const REFRESH_MS = 10_000;

let timer = null;
/** Counts refreshes, so an answer that arrives after a newer one started is dropped. */
let generation = 0;

/** Starts (or stops) showing the page: a refresh now, and every {@link REFRESH_MS} while shown. */
export function showOperations(shown) {
  clearInterval(timer);
  timer = null;
  if (!shown) return;
  void guarded(refreshOperations)();
  timer = setInterval(() => {
    if (document.visibilityState === 'visible') void guarded(refreshOperations)();
  }, REFRESH_MS);
}

export async function refreshOperations() {
  const mine = ++generation;
  const span = /** @type {HTMLSelectElement} */ ($('ops-window')).value;
  const [stats, stuck, failed] = await Promise.all([
    api('GET', `/v1/stats?window=${span}&buckets=${BUCKETS}`),
    api('GET', `/v1/runs?status=stuck&limit=${LIST}`),
    api('GET', `/v1/runs?status=failed&limit=${LIST}`),
  ]);
  if (mine !== generation) return;
  renderTotals(stats.series, stuck.runs.length);
  renderOutcomes(stats.series);
  $('ops-actions').tBodies[0].replaceChildren(
    ...rowsOr(stats.actions, 9, 'No runs in this window.', (a) =>
      h(
        'tr',
        { dataset: { agent: a.agent ?? '', action: a.action } },
        h('td', {}, a.agent ?? '—'),
        h('td', {}, a.action),
        ...rates(a),
        h('td', {}, ms(a.p50Ms)),
        h('td', {}, ms(a.p95Ms)),
        h('td', {}, ms(a.p99Ms)),
        h('td', { className: 'codes' }, errorCodes(a.topErrors)),
      ),
    ),
  );
  $('ops-providers').tBodies[0].replaceChildren(
    ...rowsOr(stats.providers, 9, 'No provider requests in this window.', (p) =>
      h(
        'tr',
        { dataset: { provider: p.provider, operation: p.operation } },
        h('td', {}, p.provider),
        h('td', { className: 'mono' }, p.operation),
        ...rates(p),
        h('td', {}, ms(p.p50Ms)),
        h('td', {}, ms(p.p95Ms)),
        h('td', {}, ms(p.p99Ms)),
        h('td', { className: 'codes' }, errorCodes(p.topErrors)),
      ),
    ),
  );
  $('ops-stuck').tBodies[0].replaceChildren(
    ...rowsOr(stuck.runs, 7, 'No stuck runs.', (r) =>
      h(
        'tr',
        { dataset: { run: r.id } },
        h('td', {}, when(r.startedAt)),
        h('td', {}, r.agent ?? '—'),
        h('td', {}, r.action),
        h('td', {}, h('span', { className: 'badge status-stuck' }, 'stuck')),
        h('td', {}, when(r.deadlineAt)),
        h('td', {}, traceCell(r.traceId, 'trace')),
        h('td', {}, workflowCell(r.workflowId, 'workflow')),
      ),
    ),
  );
  $('ops-failures').tBodies[0].replaceChildren(
    ...rowsOr(failed.runs, 7, 'No failed runs.', (r) =>
      h(
        'tr',
        { dataset: { run: r.id } },
        h('td', {}, when(r.startedAt)),
        h('td', {}, r.agent ?? '—'),
        h('td', {}, r.action),
        h('td', {}, h('span', { className: 'badge status-failed code' }, r.errorCode ?? 'failed')),
        h('td', {}, ms(r.durationMs)),
        h('td', {}, traceCell(r.traceId, 'trace')),
        h('td', {}, workflowCell(r.workflowId, 'workflow')),
      ),
    ),
  );
  $('ops-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

/** The rows, or one row saying there are none. */
function rowsOr(items, columns, empty, row) {
  return items.length > 0 ? items.map(row) : [h('tr', {}, h('td', { colSpan: columns, className: 'hint' }, empty))];
}

const ms = (v) => (v === null || v === undefined ? '—' : `${v.toLocaleString()} ms`);
const when = (iso) => (iso ? `${new Date(iso).toLocaleDateString()} ${time(iso)}` : '—');
/** A share in percent: whole numbers at 0 and 100 %, one decimal between. */
const percent = (part, whole) =>
  whole === 0 ? '—' : `${((100 * part) / whole).toFixed(part === 0 || part === whole ? 0 : 1)} %`;

/** Calls, failures and the failure rate, the rate flagged when it is not zero. */
function rates({ calls, failures }) {
  return [
    h('td', {}, calls.toLocaleString()),
    h('td', {}, failures.toLocaleString()),
    h('td', { className: failures > 0 ? 'rate bad' : 'rate' }, percent(failures, calls)),
  ];
}

function errorCodes(top) {
  return top.map((e) =>
    h('span', { className: 'badge code', title: `${e.count} failure(s)` }, `${e.code} ×${e.count}`),
  );
}

function renderTotals(series, stuckListed) {
  const sum = (key) => series.reduce((n, b) => n + b[key], 0);
  const total = OUTCOMES.reduce((n, [key]) => n + sum(key), 0);
  const failed = sum('failed');
  const tiles = [
    ['Runs', total.toLocaleString(), ''],
    ['Succeeded', sum('succeeded').toLocaleString(), 'ok'],
    ['Failed', failed.toLocaleString(), failed > 0 ? 'bad' : ''],
    ['Failure rate', percent(failed, total), failed > 0 ? 'bad' : ''],
    // Stuck now, whenever accepted (the list's count, capped at its length).
    ['Stuck now', stuckListed >= LIST ? `${LIST}+` : String(stuckListed), stuckListed > 0 ? 'warn' : ''],
  ];
  $('ops-totals').replaceChildren(
    ...tiles.map(([label, value, tone]) =>
      h('div', { className: `tile ${tone}` }, h('span', { className: 'value' }, value), h('span', {}, label)),
    ),
  );
}

/** A stacked bar per slice, heights relative to the busiest slice, its total above it. */
function renderOutcomes(series) {
  $('ops-legend').replaceChildren(
    ...OUTCOMES.map(([key, label]) => h('span', {}, h('i', { className: `swatch out-${key}` }), label)),
  );
  const totals = series.map((b) => OUTCOMES.reduce((n, [key]) => n + b[key], 0));
  const busiest = Math.max(1, ...totals);
  $('ops-outcomes').replaceChildren(
    ...series.map((b, i) => {
      const bar = h('div', { className: 'bar' });
      for (const [key] of OUTCOMES) {
        if (b[key] === 0) continue;
        const part = h('div', { className: `out-${key}` });
        // CSSOM, not a style attribute: the CSP allows no inline styles.
        part.style.height = `${(100 * b[key]) / busiest}%`;
        bar.append(part);
      }
      const detail = OUTCOMES.filter(([key]) => b[key] > 0)
        .map(([key, label]) => `${label.toLowerCase()} ${b[key]}`)
        .join(', ');
      return h(
        'div',
        {
          className: 'slice',
          title: `${time(b.start)}–${time(b.end)}: ${totals[i]} run(s)${detail ? ` (${detail})` : ''}`,
          dataset: { total: String(totals[i]), failed: String(b.failed) },
        },
        h('span', { className: 'count' }, totals[i] > 0 ? String(totals[i]) : ''),
        bar,
        h('span', { className: 'at' }, shortTime(b.start)),
      );
    }),
  );
}

const shortTime = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
