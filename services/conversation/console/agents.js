// API key and agents: connecting with a key, the agent list, the chosen agent and its actions.

import { endCallView } from './call.js';
import { actionForm } from './forms.js';
import { $, AGENT_STORAGE, ApiError, api, h, KEY_STORAGE, setStatus, state } from './shared.js';
import { showView } from './views.js';

export async function connect() {
  try {
    const { agents } = await api('GET', '/v1/agents');
    sessionStorage.setItem(KEY_STORAGE, state.key);
    $('forget-key').hidden = false;
    showView();
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

export async function chooseAgent(name) {
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
export async function parameterSchemas(agent) {
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
