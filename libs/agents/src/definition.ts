import { type ActionFormat, type CanonicalAction, parseAnyAction, validateAnyAction } from '@switchboard/actions';
import type { JsonObject, ValidationIssue } from '@switchboard/common';
import { checkInstructionsSyntax } from './instructions.js';
import { type LintIssue, lintInstructions } from './lint.js';
import { type CompiledTopic, compileLibrary, compileTopics, lintActionOf, lintAgentInstructions } from './topics.js';

/** An agent as users write it: instructions and actions in any of the three formats. */
export interface AgentDefinitionInput {
  instructions: string;
  actions: readonly unknown[];
  /** Actions defined once, for topics to import (each import is the topic's own copy). */
  library?: readonly unknown[];
  /** Topics, each with its own actions (see `topics.ts`). */
  topics?: readonly unknown[];
}

/** A validated action, ready to store. */
export interface CompiledAction {
  name: string;
  format: ActionFormat;
  source: JsonObject;
  canonical: CanonicalAction;
}

/** Result of {@link compileAgentDefinition}. */
export interface CompiledAgent {
  /** Problems that make the definition unusable (nothing may be saved while there are any). */
  issues: ValidationIssue[];
  actions: CompiledAction[];
  /**
   * Instruction lint (unknown / case / near-miss / unused references). Its errors keep the
   * agent from being published unless forced (see {@link lintErrors}); warnings never do.
   */
  lint: LintIssue[];
  /** The valid library actions (importable; not actions of the agent by themselves). */
  library: CompiledAction[];
  /** The topics, their actions (imports copied) and the lint of their instructions; empty without topics. */
  topics: CompiledTopic[];
}

/**
 * Validates a whole agent at once: every action (pointers prefixed with `/actions/<i>`),
 * duplicate names (names are case-sensitive, so `Book` and `book` are two actions — but a
 * voice agent hearing both is confused, so that is reported too), the Liquid syntax of the
 * instructions, and the instruction lint against the actions; then the library (`/library/<i>`)
 * and the topics (`/topics/<i>`), each import copied from the library into its topic.
 */
export function compileAgentDefinition(input: AgentDefinitionInput): CompiledAgent {
  const issues: ValidationIssue[] = [];
  const actions: CompiledAction[] = [];
  // Where each valid action sits in the input: pointers name the input's index, which differs
  // from the index in `actions` once an earlier action was invalid and left out.
  const inputIndex: number[] = [];
  input.actions.forEach((doc, i) => {
    const { issues: found } = validateAnyAction(doc);
    if (found.length > 0) {
      issues.push(...found.map((x) => ({ ...x, pointer: `/actions/${i}${x.pointer}` })));
      return;
    }
    const { format, action } = parseAnyAction(doc);
    actions.push({ name: action.name, format, source: doc as JsonObject, canonical: action });
    inputIndex.push(i);
  });
  const seen = new Map<string, number>();
  actions.forEach((a, k) => {
    const key = a.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        pointer: `/actions/${inputIndex[k]}/name`,
        message: `action name '${a.name}' is already used by action ${inputIndex[first]} ('${actions[first]?.name}')`,
        suggestion: 'give every action a distinct name',
      });
    } else {
      seen.set(key, k);
    }
  });
  for (const p of checkInstructionsSyntax(input.instructions)) {
    issues.push({ pointer: '/instructions', message: `line ${p.line}, column ${p.column}: ${p.message}` });
  }
  if (input.library === undefined && input.topics === undefined) {
    const lint = lintInstructions(
      input.instructions,
      actions.map((a) => ({ name: a.name, label: a.canonical.label })),
    );
    return { issues, actions, lint, library: [], topics: [] };
  }
  const library = compileLibrary(input.library ?? [], issues);
  const topics = compileTopics(input.topics ?? [], library, actions, issues);
  const lint = lintAgentInstructions(
    input.instructions,
    actions.map(lintActionOf),
    topics.flatMap((t) => t.actions.map((a) => a.name)),
  );
  return { issues, actions, lint, library: library.actions, topics };
}

/** A lint issue located in an agent definition: the JSON pointer of the instructions holding it. */
export interface LocatedLintIssue extends LintIssue {
  /** `/instructions`, or `/topics/<i>/instructions`; `line` and `column` are within that text. */
  pointer: string;
}

/**
 * The lint errors of an agent definition, which keep it from being published unless forced
 * (warnings never do): those of the agent's instructions, then those of each topic's, given in
 * the definition's topic order (as {@link compileAgentDefinition} returns them for a definition
 * without issues, and as a version stores them).
 */
export function lintErrors(
  lint: readonly LintIssue[],
  topicLints: readonly (readonly LintIssue[])[] = [],
): LocatedLintIssue[] {
  const located = (pointer: string, issues: readonly LintIssue[]) =>
    issues.filter((issue) => issue.severity === 'error').map((issue) => ({ pointer, ...issue }));
  return [
    ...located('/instructions', lint),
    ...topicLints.flatMap((issues, i) => located(`/topics/${i}/instructions`, issues)),
  ];
}
