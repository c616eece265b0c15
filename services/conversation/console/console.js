// Switchboard test console: plain ES modules, no build step, no framework. It is a plain client of
// the /v1 API on this origin (the API key stays in sessionStorage), plus /console/config.json and
// the console's fault-injection route for the dev stack's provider sandboxes.
//
// This module is the entry point: it wires the pages together. Each page is a module of its own
// beside it (agents, forms, call, tool-calls, events, runs, transcript, chat, sandbox,
// operations; views picks the page), and shared.js holds what they share (session state, API
// client, element helpers).

import { chooseAgent, connect } from './agents.js';
import { startCall } from './call.js';
import { sendTurn } from './chat.js';
import { refreshOperations } from './operations.js';
import { refreshRuns } from './runs.js';
import { cleanUp, clearFaults, FAULT_PATHS, faultFromForm, injectFault } from './sandbox.js';
import { $, guarded, h, KEY_STORAGE, setStatus, state } from './shared.js';
import { refreshTranscript } from './transcript.js';
import { showView } from './views.js';

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
  // Operations: the hash picks the page (both wait for a connected key).
  window.addEventListener('hashchange', () => {
    if (!$('views').hidden) showView();
  });
  $('ops-window').addEventListener('change', guarded(refreshOperations));
  $('ops-refresh').addEventListener('click', guarded(refreshOperations));

  if (state.key) {
    /** @type {HTMLInputElement} */ ($('api-key')).value = state.key;
    await connect();
  } else setStatus('Enter an API key to start.');
}

void guarded(main)();
