// The test call: starting a sandbox conversation, and forgetting it in the page.

import { followEvents } from './events.js';
import { $, api, setStatus, state } from './shared.js';

export async function startCall() {
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
export function endCallView() {
  state.stream?.abort();
  state.stream = null;
  state.conversationId = null;
  state.current = null;
  $('conversation').textContent = '';
  for (const id of ['events-panel', 'runs-panel', 'transcript-panel', 'cleanup-panel', 'faults-panel', 'chat-panel']) {
    $(id).hidden = true;
  }
}
