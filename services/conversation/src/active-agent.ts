/**
 * Which agent a conversation is with now. A `handoff` step moves a conversation to its target
 * agent (and topic, where given) when its run ends (the orchestrator writes it with the run's
 * outcome); from then on tool calls (REST, drop-ins, MCP) and turns run the target's published
 * actions, instructions and LLM settings. The conversation keeps the agent it started with as
 * `agentId` (drop-in calls are found by it).
 */
import { NotFoundError } from '@switchboard/common';
import {
  type ActionDefinitionRow,
  type Agent,
  type AgentWithSettings,
  type Conversation,
  findAgentTopics,
  findAgentWithSettings,
  findPublishedAction,
  type Queryable,
} from '@switchboard/db';
import type { CallRuntime } from '@switchboard/operations';
import { servedRuntimes } from './agent-status.js';

/** The agent a conversation is with, and the topic a handoff moved it into (if it still exists). */
export interface ActiveAgent {
  agent: Agent;
  /** The active topic; `undefined` when none, or when the agent's published version no longer has it. */
  topic: string | undefined;
  /** The agent's locale: which text of a per-locale action message its runs say. */
  locale: string | undefined;
  /** The voice runtimes the agent says it serves (see `agentRuntimes`). */
  runtimes: CallRuntime[];
}

/**
 * The conversation's active agent and topic (see the module comment). `read`: the active agent
 * as already read with the conversation (`findConversationWithAgent`; `agent` undefined when it
 * was not found), so it is not read again.
 */
export async function activeAgentOf(
  db: Queryable,
  tenantId: string,
  conversation: Pick<Conversation, 'activeAgentId' | 'activeTopic'>,
  read?: { agent: AgentWithSettings | undefined },
): Promise<ActiveAgent> {
  // The agent row with its settings in one round trip: a tool call needs all of it.
  const found = read ? read.agent : await findAgentWithSettings(db, tenantId, conversation.activeAgentId);
  if (!found) throw new NotFoundError('agent', conversation.activeAgentId);
  const { agent, locale } = found;
  const runtimes = servedRuntimes(found.runtimes);
  const wanted = conversation.activeTopic;
  if (wanted === null) return { agent, topic: undefined, locale, runtimes };
  // A topic the agent's published version dropped since the handoff: the agent without a topic.
  const { topics } = await findAgentTopics(db, tenantId, agent.id);
  return { agent, topic: topics.some((t) => t.name === wanted) ? wanted : undefined, locale, runtimes };
}

/**
 * The action a call without an explicit topic runs in the active topic: that topic's own copy,
 * or `undefined` to resolve it as without a topic (top-level, or the one topic that has it).
 */
export async function findActiveTopicAction(
  db: Queryable,
  tenantId: string,
  active: ActiveAgent,
  name: string,
): Promise<ActionDefinitionRow | undefined> {
  if (active.topic === undefined) return undefined;
  return findPublishedAction(db, tenantId, active.agent.id, name, active.topic);
}
