/**
 * A turn in a topic: which actions the loop sees and what the model is told. Pure; the turn
 * service loads the rows.
 */
import type { CanonicalAction } from '@switchboard/actions';

/** The actions of a turn in a topic, and which of them are the topic's own copies. */
export interface TopicTurnActions {
  /** What the loop gets: the agent's top-level actions (but those the topic redefines), then the topic's. */
  actions: CanonicalAction[];
  /** Names of the topic's own actions: their tool calls name the topic, so its copy runs. */
  own: ReadonlySet<string>;
}

/**
 * The actions of a turn in a topic. The topic's actions (tools, and `every_turn`/`after_turn`
 * actions that then run deterministically) come with the agent's top-level ones; a topic action
 * with a top-level action's name takes its place — the topic owns its copy.
 */
export function topicTurnActions(
  topLevel: readonly CanonicalAction[],
  topicActions: readonly CanonicalAction[],
): TopicTurnActions {
  const own = new Set(topicActions.map((a) => a.name));
  return { actions: [...topLevel.filter((a) => !own.has(a.name)), ...topicActions], own };
}

/** The agent's instructions with the topic's appended (both already rendered). */
export function topicTurnInstructions(
  instructions: string,
  topic: { name: string; description: string },
  topicInstructions: string | undefined,
): string {
  const body = topicInstructions?.trim();
  return [
    instructions.trim(),
    `Current topic: ${topic.name} (${topic.description.trim()})`,
    ...(body ? [body] : []),
  ].join('\n\n');
}
