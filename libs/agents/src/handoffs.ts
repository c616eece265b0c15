/**
 * The `handoff` steps of an agent definition, where they are written: a handoff's `target`
 * must name an agent of the same tenant (and its `topic` a topic of that agent) when the agent
 * is saved, which only the caller can check against what is stored (see the conversation
 * service's agent routes). Pure: walks the definition as written.
 */
import type { AgentDefinitionInput } from './definition.js';

/** One `handoff` step of a definition. */
export interface HandoffReference {
  /** JSON pointer of the step, e.g. `/actions/0/actions/2` or `/topics/1/actions/0/on_failure/0`. */
  pointer: string;
  target: string;
  topic?: string;
}

/** The chains of a declarative tool (and of any format that has them), in pointer order. */
const CHAINS = ['actions', 'on_success', 'on_failure'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function walkChain(steps: unknown, pointer: string, found: HandoffReference[]): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step, i) => {
    if (!isObject(step)) return;
    const at = `${pointer}/${i}`;
    if (step.type === 'handoff' && typeof step.target === 'string') {
      found.push({
        pointer: at,
        target: step.target,
        ...(typeof step.topic === 'string' ? { topic: step.topic } : {}),
      });
    } else if (step.type === 'conditional') {
      walkChain(step.then, `${at}/then`, found);
      walkChain(step.else, `${at}/else`, found);
    }
  });
}

function walkAction(action: unknown, pointer: string, found: HandoffReference[]): void {
  if (!isObject(action)) return;
  for (const chain of CHAINS) walkChain(action[chain], `${pointer}/${chain}`, found);
}

/**
 * Every `handoff` step of the agent's actions, its library and its topics' own actions (an
 * import is a copy of a library action, whose steps are listed under `/library`), in order.
 */
export function handoffReferences(
  definition: Pick<AgentDefinitionInput, 'actions' | 'library' | 'topics'>,
): HandoffReference[] {
  const found: HandoffReference[] = [];
  for (const [i, action] of definition.actions.entries()) walkAction(action, `/actions/${i}`, found);
  for (const [i, action] of (definition.library ?? []).entries()) walkAction(action, `/library/${i}`, found);
  (definition.topics ?? []).forEach((topic, t) => {
    if (!isObject(topic) || !Array.isArray(topic.actions)) return;
    for (const [i, action] of topic.actions.entries()) {
      if (isObject(action) && action.import === undefined) walkAction(action, `/topics/${t}/actions/${i}`, found);
    }
  });
  return found;
}
