/**
 * Topics and the action library of an agent definition.
 *
 * A topic groups what an agent does for one kind of request: a name, a description, optional
 * instructions (added to the agent's when the topic is active) and its own actions. Topics do
 * not share actions: an action is either written directly in the topic or imported from the
 * agent's `library`, and an import is a copy made when the definition is compiled — the topic
 * owns it from then on. Two topics importing the same library action hold two independent
 * copies (each may override settings), and a later version that changes the library entry
 * changes only that version's copies.
 *
 * An import entry is `{ "import": "<library action name>", ...overrides }`:
 * - `config` (built-in actions only) is merged over the library action's `config`, one setting
 *   at a time, so a topic overrides the settings it needs and inherits the rest;
 * - `name` renames the copy (one topic may import the same library action twice);
 * - any other property replaces the library action's property of that name (a declarative
 *   tool's `actions` or `on_success`, a typed action's `description`…);
 * - `$schema` and `type` cannot be overridden: an import keeps the library action's format and kind.
 */
import {
  type ActionFormat,
  closestMatch,
  detectActionFormat,
  parseAnyAction,
  TOPIC_NAME_PATTERN,
  validateAnyAction,
} from '@switchboard/actions';
import type { JsonObject, ValidationIssue } from '@switchboard/common';
import type { CompiledAction } from './definition.js';
import { checkInstructionsSyntax } from './instructions.js';
import { type LintIssue, lintInstructions } from './lint.js';
import type { LintAction } from './resolve.js';

export { TOPIC_NAME_PATTERN };

/** Most topics per agent, and most actions per topic or library. */
export const TOPIC_LIMITS = { topics: 100, actionsPerTopic: 200, library: 200, description: 4000 } as const;

/** Properties of a topic as written. */
const TOPIC_PROPERTIES = ['name', 'description', 'instructions', 'actions'] as const;

/** A topic's action, ready to store: the topic's own definition (for an import, the copy). */
export interface CompiledTopicAction extends CompiledAction {
  /** The library action it was copied from, for an import. */
  imported?: string;
}

/** A validated topic. */
export interface CompiledTopic {
  name: string;
  description: string;
  instructions?: string;
  /** The topic as written (imports as written too): what is stored with the version. */
  declaration: JsonObject;
  actions: CompiledTopicAction[];
  /** Lint of the topic's instructions (see {@link lintTopicInstructions}); empty without instructions. */
  lint: LintIssue[];
}

/** A valid library action, by name. */
interface LibraryEntry {
  index: number;
  doc: JsonObject;
  format: ActionFormat;
}

/**
 * Validates the library (pointers `/library/<i>…`) and returns its valid actions by exact name.
 * Invalid entries are left out, so imports of them report nothing more than the entry's own issues.
 */
export function compileLibrary(
  library: readonly unknown[],
  issues: ValidationIssue[],
): { actions: CompiledAction[]; byName: Map<string, LibraryEntry>; names: string[] } {
  const actions: CompiledAction[] = [];
  const byName = new Map<string, LibraryEntry>();
  const names: string[] = [];
  const seen = new Map<string, number>();
  library.forEach((doc, i) => {
    if (isObject(doc) && Object.hasOwn(doc, 'import')) {
      issues.push({
        pointer: `/library/${i}/import`,
        message: 'a library action cannot import another: define it here in full',
      });
      return;
    }
    const { issues: found } = validateAnyAction(doc);
    const name = isObject(doc) && typeof doc.name === 'string' ? doc.name : undefined;
    if (name !== undefined) names.push(name);
    if (found.length > 0) {
      issues.push(...found.map((x) => ({ ...x, pointer: `/library/${i}${x.pointer}` })));
      return;
    }
    const { format, action } = parseAnyAction(doc);
    const first = seen.get(action.name.toLowerCase());
    if (first !== undefined) {
      issues.push({
        pointer: `/library/${i}/name`,
        message: `library action name '${action.name}' is already used by library action ${first}`,
        suggestion: 'give every library action a distinct name',
      });
      return;
    }
    seen.set(action.name.toLowerCase(), i);
    actions.push({ name: action.name, format, source: doc as JsonObject, canonical: action });
    byName.set(action.name, { index: i, doc: doc as JsonObject, format });
  });
  return { actions, byName, names };
}

/**
 * Validates the topics (pointers `/topics/<i>…`) and compiles each one's actions, copying
 * imports from the library. `topLevel` are the agent's own actions (for the instruction lint:
 * a topic's instructions may use them too).
 */
export function compileTopics(
  topics: readonly unknown[],
  library: ReturnType<typeof compileLibrary>,
  topLevel: readonly CompiledAction[],
  issues: ValidationIssue[],
): CompiledTopic[] {
  const compiled: CompiledTopic[] = [];
  const seenTopics = new Map<string, number>();
  topics.forEach((raw, i) => {
    const base = `/topics/${i}`;
    if (!isObject(raw)) {
      issues.push({ pointer: base, message: 'a topic must be an object', expected: 'an object', found: kindOf(raw) });
      return;
    }
    const before = issues.length;
    for (const key of Object.keys(raw)) {
      if (!(TOPIC_PROPERTIES as readonly string[]).includes(key)) {
        const near = closestMatch(key, TOPIC_PROPERTIES);
        issues.push({
          pointer: `${base}/${escapeToken(key)}`,
          message: `unknown topic property '${key}'`,
          expected: TOPIC_PROPERTIES.join(', '),
          ...(near ? { suggestion: `did you mean '${near}'?` } : {}),
        });
      }
    }
    const name = raw.name;
    if (typeof name !== 'string' || !TOPIC_NAME_PATTERN.test(name)) {
      issues.push({
        pointer: `${base}/name`,
        message: typeof name === 'string' ? `invalid topic name '${name}'` : 'a topic needs a name (a string)',
        expected: 'a letter, then letters, digits or underscores; at most 80 characters',
        found: typeof name === 'string' ? JSON.stringify(name) : kindOf(name),
      });
    } else {
      const first = seenTopics.get(name.toLowerCase());
      if (first !== undefined) {
        issues.push({
          pointer: `${base}/name`,
          message: `topic name '${name}' is already used by topic ${first}`,
          suggestion: 'give every topic a distinct name (ignoring case)',
        });
      } else {
        seenTopics.set(name.toLowerCase(), i);
      }
    }
    const description = raw.description;
    if (typeof description !== 'string' || description.trim() === '' || description.length > TOPIC_LIMITS.description) {
      issues.push({
        pointer: `${base}/description`,
        message: 'a topic needs a description: what requests it handles',
        expected: `a non-empty string of at most ${TOPIC_LIMITS.description} characters`,
        found: kindOf(description),
      });
    }
    const instructions = raw.instructions;
    if (instructions !== undefined && typeof instructions !== 'string') {
      issues.push({
        pointer: `${base}/instructions`,
        message: 'topic instructions must be a string (a Liquid template)',
        found: kindOf(instructions),
      });
    } else if (typeof instructions === 'string') {
      for (const p of checkInstructionsSyntax(instructions)) {
        issues.push({ pointer: `${base}/instructions`, message: `line ${p.line}, column ${p.column}: ${p.message}` });
      }
    }
    const entries = raw.actions;
    if (!Array.isArray(entries) || entries.length > TOPIC_LIMITS.actionsPerTopic) {
      issues.push({
        pointer: `${base}/actions`,
        message: 'a topic needs an actions array (actions defined here, or imports from the library)',
        expected: `an array of at most ${TOPIC_LIMITS.actionsPerTopic} actions`,
        found: kindOf(entries),
      });
      return;
    }
    const actions = compileTopicActions(entries, `${base}/actions`, library, issues);
    if (issues.length > before || typeof name !== 'string' || typeof description !== 'string') return;
    const topic: CompiledTopic = {
      name,
      description,
      declaration: raw as JsonObject,
      actions,
      lint:
        typeof instructions === 'string' && instructions.trim() !== ''
          ? lintTopicInstructions(instructions, actions.map(lintActionOf), topLevel.map(lintActionOf))
          : [],
    };
    if (typeof instructions === 'string') topic.instructions = instructions;
    compiled.push(topic);
  });
  return compiled;
}

/** One topic's actions: each defined in place or copied from the library, names distinct. */
function compileTopicActions(
  entries: readonly unknown[],
  base: string,
  library: ReturnType<typeof compileLibrary>,
  issues: ValidationIssue[],
): CompiledTopicAction[] {
  const actions: { at: number; namedAt: string; action: CompiledTopicAction }[] = [];
  entries.forEach((entry, j) => {
    const at = `${base}/${j}`;
    if (isObject(entry) && Object.hasOwn(entry, 'import')) {
      const copy = importAction(entry, at, library, issues);
      if (copy) {
        const namedAt = Object.hasOwn(entry, 'name') ? `${at}/name` : `${at}/import`;
        actions.push({ at: j, namedAt, action: copy });
      }
      return;
    }
    const { issues: found } = validateAnyAction(entry);
    if (found.length > 0) {
      issues.push(...found.map((x) => ({ ...x, pointer: `${at}${x.pointer}` })));
      return;
    }
    const { format, action } = parseAnyAction(entry);
    actions.push({
      at: j,
      namedAt: `${at}/name`,
      action: { name: action.name, format, source: entry as JsonObject, canonical: action },
    });
  });
  const seen = new Map<string, number>();
  for (const { at, namedAt, action } of actions) {
    const first = seen.get(action.name.toLowerCase());
    if (first !== undefined) {
      issues.push({
        pointer: namedAt,
        message: `action name '${action.name}' is already used in this topic by action ${first}`,
        suggestion: 'give every action of a topic a distinct name (an import may rename its copy with "name")',
      });
    } else {
      seen.set(action.name.toLowerCase(), at);
    }
  }
  return actions.map((a) => a.action);
}

/** The topic's copy of a library action, with the entry's overrides; undefined when invalid. */
function importAction(
  entry: Record<string, unknown>,
  at: string,
  library: ReturnType<typeof compileLibrary>,
  issues: ValidationIssue[],
): CompiledTopicAction | undefined {
  const ref = entry.import;
  if (typeof ref !== 'string' || ref === '') {
    issues.push({
      pointer: `${at}/import`,
      message: 'import names a library action (a non-empty string)',
      found: kindOf(ref),
    });
    return undefined;
  }
  const lib = library.byName.get(ref);
  if (!lib) {
    // A library action that exists but is invalid has its own issues; say nothing more here.
    if (library.names.includes(ref)) return undefined;
    const near = closestMatch(ref, library.byName.keys());
    issues.push({
      pointer: `${at}/import`,
      message: `the library has no action named '${ref}' (names are case-sensitive)`,
      ...(library.byName.size > 0 ? { expected: [...library.byName.keys()].join(', ') } : {}),
      ...(near ? { suggestion: `did you mean '${near}'?` } : {}),
    });
    return undefined;
  }
  const before = issues.length;
  for (const fixed of ['$schema', 'type'] as const) {
    if (Object.hasOwn(entry, fixed)) {
      issues.push({
        pointer: `${at}/${escapeToken(fixed)}`,
        message: `an import cannot override '${fixed}': the copy keeps the library action's format and kind`,
      });
    }
  }
  if (Object.hasOwn(entry, 'config')) {
    if (lib.format !== 'builtin') {
      issues.push({
        pointer: `${at}/config`,
        message: `config overrides apply to built-in actions only; '${ref}' is a ${lib.format === 'tool' ? 'declarative tool' : 'typed action'}`,
        suggestion: 'override its properties directly (e.g. "actions", "on_success", "description")',
      });
    } else if (!isObject(entry.config)) {
      issues.push({
        pointer: `${at}/config`,
        message: 'config must be an object of settings',
        found: kindOf(entry.config),
      });
    }
  }
  if (issues.length > before) return undefined;
  const copy = materializeImport(lib.doc, entry);
  if (detectActionFormat(copy) !== lib.format) {
    issues.push({
      pointer: at,
      message: `these overrides turn the copy of '${ref}' into another action format (${detectActionFormat(copy)})`,
      expected: `a ${lib.format} action, like the library's`,
    });
    return undefined;
  }
  const { issues: found } = validateAnyAction(copy);
  if (found.length > 0) {
    issues.push(...found.map((x) => locateCopyIssue(x, at, entry, `/library/${lib.index}`, ref)));
    return undefined;
  }
  const { format, action } = parseAnyAction(copy);
  return { name: action.name, format, source: copy, canonical: action, imported: ref };
}

/**
 * The copy of library action `doc` that an import entry makes: the entry's `config` merged over
 * the library's (built-ins), every other property of the entry (but `import`) replacing the
 * library's. A fresh object: the library document is never shared with the copy's top level.
 */
export function materializeImport(doc: JsonObject, entry: Record<string, unknown>): JsonObject {
  const overrides = Object.entries(entry).filter(([key]) => key !== 'import');
  const merged = new Map<string, unknown>(Object.entries(doc));
  for (const [key, value] of overrides) {
    const base = merged.get(key);
    merged.set(
      key,
      key === 'config' && isObject(base) && isObject(value)
        ? Object.fromEntries([...Object.entries(base), ...Object.entries(value)])
        : value,
    );
  }
  // fromEntries defines own properties, so a `__proto__` key stays data and never a prototype.
  return structuredClone(Object.fromEntries(merged)) as JsonObject;
}

/**
 * Where an issue of an imported copy is reported: at the override that caused it when the
 * entry set that property (or that config setting), else at the entry's `import`, naming the
 * place in the library action.
 */
function locateCopyIssue(
  issue: ValidationIssue,
  at: string,
  entry: Record<string, unknown>,
  libraryPointer: string,
  ref: string,
): ValidationIssue {
  const tokens = issue.pointer.split('/').slice(1).map(unescapeToken);
  const [first, second] = tokens;
  const config = entry.config;
  const overridden =
    first !== undefined &&
    (first === 'config'
      ? isObject(config) && (second === undefined || Object.hasOwn(config, second))
      : Object.hasOwn(entry, first));
  if (overridden) return { ...issue, pointer: `${at}${issue.pointer}` };
  return {
    ...issue,
    pointer: `${at}/import`,
    message: `in this topic's copy of library action '${ref}' (at ${libraryPointer}${issue.pointer}): ${issue.message}`,
  };
}

/**
 * Lint of a topic's instructions: references are checked against the topic's actions and the
 * agent's top-level actions (both are the topic's tools); only the topic's own actions are
 * reported as unused (top-level ones belong to the agent's instructions).
 */
export function lintTopicInstructions(
  instructions: string,
  topicActions: readonly LintAction[],
  topLevel: readonly LintAction[],
): LintIssue[] {
  const own = new Set(topicActions.map((a) => a.name));
  const visible = [...topicActions, ...topLevel.filter((a) => !own.has(a.name))];
  return lintInstructions(instructions, visible).filter((issue) => {
    return issue.code !== 'unused_action' || (issue.name !== undefined && own.has(issue.name));
  });
}

/**
 * Lint of the agent's own instructions when it has topics: as before, against its top-level
 * actions, except that a reference to a topic's action by its exact name is not unknown.
 */
export function lintAgentInstructions(
  instructions: string,
  topLevel: readonly LintAction[],
  topicActionNames: readonly string[],
): LintIssue[] {
  const inTopics = new Set(topicActionNames);
  const lint = lintInstructions(instructions, topLevel);
  if (inTopics.size === 0) return lint;
  return lint.filter(
    (issue) => !(issue.code === 'unknown_action' && issue.name !== undefined && inTopics.has(issue.name)),
  );
}

/** A compiled action as the linter sees it. */
export function lintActionOf(action: Pick<CompiledAction, 'name' | 'canonical'>): LintAction {
  return { name: action.name, label: action.canonical.label };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}
