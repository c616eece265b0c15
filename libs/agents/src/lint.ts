/**
 * The instruction linter: finds every action reference in agent instructions and checks it
 * against the configured actions. Action names are case-sensitive and must match exactly as
 * configured, and a misspelt reference fails silently at run time (the model just never calls
 * the action), so the linter is the only place such a mistake surfaces.
 *
 * Recognised references (line/column point at the first character of the name):
 *
 * - a quoted name followed by the word action/tool: `'Transfer to Support' action`,
 *   `"Book Consultation" action`, with straight, curly (‘…’ “…”) or back quotes;
 * - a quoted name after a verb: `use 'Lookup Customer Account' to retrieve...`,
 *   `execute the 'Transfer to Support' action` (verbs: use, execute, run, invoke, trigger);
 * - an unquoted `use the X action`, when X is a configured name (any case) or looks like an
 *   identifier (`transfer_to_support`, `bookAppointment`) — plain words (`use the booking
 *   action`) are prose, not references;
 * - Agentforce references `{!@actions.name}` and `run @actions.name`.
 *
 * The raw template is linted, so references inside `{% if %}` blocks count; text inside Liquid
 * comments never reaches the model and is skipped.
 */
import { closestMatch } from '@switchboard/actions';
import { checkInstructionsSyntax } from './instructions.js';
import { toolNameFor } from './tool-names.js';

/** Severities of {@link LintIssue}. */
export const LintSeverities = { Error: 'error', Warning: 'warning' } as const;
/** One of {@link LintSeverities}. */
export type LintSeverity = (typeof LintSeverities)[keyof typeof LintSeverities];

/** Codes of {@link LintIssue}; stable, never reworded. */
export const LintCodes = {
  /** A reference to no configured action, with no plausible match. */
  UnknownAction: 'unknown_action',
  /** A reference that matches a configured action only when ignoring case. */
  CaseMismatch: 'case_mismatch',
  /** A reference close to a configured action (typo, spacing, tool-name or label form). */
  NearMiss: 'near_miss',
  /** A configured action the instructions never mention. */
  UnusedAction: 'unused_action',
  /** The instructions are not a valid Liquid template. */
  TemplateSyntax: 'template_syntax',
} as const;
/** One of {@link LintCodes}. */
export type LintCode = (typeof LintCodes)[keyof typeof LintCodes];

/** One finding of {@link lintInstructions}. */
export interface LintIssue {
  severity: LintSeverity;
  code: LintCode;
  message: string;
  /** 1-based line of the reference (1 for `unused_action`, which has no position). */
  line: number;
  /** 1-based column (UTF-16 code units) of the reference's first character. */
  column: number;
  /** The name as written in the instructions, or the configured name for `unused_action`. */
  name?: string;
  /** The configured action name the reference probably means. */
  suggestion?: string;
}

/** A configured action as the linter needs it. */
export interface LintAction {
  /** The exact, case-sensitive action name. */
  name: string;
  /** Display label, when it differs from the name (references to it are reported). */
  label?: string;
}

/** How a reference was written. */
export const ReferenceForms = {
  /** A quoted name followed by "action", or after a verb. */
  Quoted: 'quoted',
  /** An unquoted `use the X action`. */
  Phrase: 'phrase',
  /** `@actions.name` / `{!@actions.name}`. */
  Agentforce: 'agentforce',
} as const;
/** One of {@link ReferenceForms}. */
export type ReferenceForm = (typeof ReferenceForms)[keyof typeof ReferenceForms];

/** One action reference found in instructions. */
export interface ActionReference {
  /** The name as written. */
  name: string;
  form: ReferenceForm;
  /** 0-based offset of the name's first character. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units). */
  column: number;
}

/**
 * Every action reference in the instructions, in text order. Unquoted `use the X action`
 * phrases count only when X is one of `knownNames` (action names or labels, ignoring case) or
 * looks like an identifier; without `knownNames`, only identifier-like phrases count.
 */
export function findActionReferences(instructions: string, knownNames: readonly string[] = []): ActionReference[] {
  const lines = lineStarts(instructions);
  const comments = commentRanges(instructions);
  const lowerNames = new Set(knownNames.map((name) => name.toLowerCase()));
  const found = new Map<number, { name: string; form: ReferenceForm }>();
  const add = (offset: number, name: string, form: ReferenceForm): void => {
    if (!found.has(offset) && !insideAny(offset, comments)) found.set(offset, { name, form });
  };

  for (const pattern of [QUOTED_THEN_ACTION, VERB_THEN_QUOTED]) {
    for (const match of instructions.matchAll(pattern)) {
      const group = firstGroup(match);
      if (group) add(group.offset, group.text, 'quoted');
    }
  }
  for (const match of instructions.matchAll(VERB_THEN_PHRASE)) {
    const group = firstGroup(match);
    if (!group) continue;
    const phrase = group.text.replace(/[ \t]+/g, ' ');
    if (lowerNames.has(phrase.toLowerCase()) || IDENTIFIER_LIKE.test(phrase)) add(group.offset, group.text, 'phrase');
  }
  for (const match of instructions.matchAll(AGENTFORCE_REFERENCE)) {
    const group = firstGroup(match);
    if (group) add(group.offset, group.text, 'agentforce');
  }

  return [...found.entries()]
    .sort(([a], [b]) => a - b)
    .map(([offset, { name, form }]) => ({ name, form, offset, ...positionOf(lines, offset) }));
}

/**
 * Lints agent instructions against the configured actions: unknown references, case
 * mismatches and near misses (errors, with a suggestion when there is one), configured actions
 * never mentioned (warnings), and Liquid syntax errors. Errors come in text order, then the
 * `unused_action` warnings in configuration order.
 */
export function lintInstructions(instructions: string, actions: readonly LintAction[]): LintIssue[] {
  const names = [...new Set(actions.map((action) => action.name))];
  const index = buildIndex(actions, names);
  const issues: LintIssue[] = [];
  const mentioned = new Set<string>();

  for (const problem of checkInstructionsSyntax(instructions)) {
    issues.push({
      severity: 'error',
      code: 'template_syntax',
      message: `template syntax error: ${problem.message}`,
      line: problem.line,
      column: problem.column,
    });
  }

  // Labels too, so `use the <label> action` is found and reported as a label reference.
  const known = [...names, ...actions.flatMap((action) => (action.label ? [action.label] : []))];
  for (const ref of findActionReferences(instructions, known)) {
    const resolution = resolve(ref.name, index);
    if (resolution.kind !== 'unknown') mentioned.add(resolution.action);
    const at = { line: ref.line, column: ref.column, name: ref.name };
    switch (resolution.kind) {
      case 'exact':
        break;
      case 'case':
        issues.push({
          severity: 'error',
          code: 'case_mismatch',
          message: `unknown action '${ref.name}': action names are case-sensitive: did you mean '${resolution.action}'?`,
          ...at,
          suggestion: resolution.action,
        });
        break;
      case 'label':
        issues.push({
          severity: 'error',
          code: 'near_miss',
          message: `'${ref.name}' is the label of action '${resolution.action}'; instructions must use the exact action name: did you mean '${resolution.action}'?`,
          ...at,
          suggestion: resolution.action,
        });
        break;
      case 'near':
        issues.push({
          severity: 'error',
          code: 'near_miss',
          message: `unknown action '${ref.name}': did you mean '${resolution.action}'?`,
          ...at,
          suggestion: resolution.action,
        });
        break;
      case 'unknown':
        issues.push({ severity: 'error', code: 'unknown_action', message: unknownMessage(ref.name, names), ...at });
        break;
    }
  }

  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  for (const name of names) {
    if (mentioned.has(name)) continue;
    issues.push({
      severity: 'warning',
      code: 'unused_action',
      message: `action '${name}' is configured but the instructions never mention it`,
      line: 1,
      column: 1,
      name,
    });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Patterns

/** Quote pairs: straight single/double, curly single/double, back quote. */
const QUOTE_PAIRS: readonly (readonly [string, string])[] = [
  ["'", "'"],
  ['"', '"'],
  ['\u2018', '\u2019'],
  ['\u201C', '\u201D'],
  ['`', '`'],
];

/**
 * A quoted name on one line, at most 100 characters (names are at most 80). The opening quote
 * must not follow a letter and the closing one must not precede a letter, so apostrophes
 * (`customer's`, `Don't`) never open or close a name.
 */
const QUOTED = `(?<![\\p{L}\\p{N}_])(?:${QUOTE_PAIRS.map(
  ([open, close]) => `${escapeRegExp(open)}([^${escapeClass(close)}\\n\\r]{1,100})${escapeRegExp(close)}`,
).join('|')})(?![\\p{L}\\p{N}])`;

const ACTION_WORD = '(?:actions?|tools?)\\b';
const VERBS =
  '(?:use|uses|used|using|execute|executes|executing|run|runs|running|invoke|invokes|invoking|trigger|triggers|triggering)';

const QUOTED_THEN_ACTION = new RegExp(`${QUOTED}\\s+${ACTION_WORD}`, 'giud');
const VERB_THEN_QUOTED = new RegExp(`\\b${VERBS}\\s+(?:the\\s+)?${QUOTED}`, 'giud');
/** `use the X action`, X being one to six words on the same line. */
const VERB_THEN_PHRASE = new RegExp(
  `\\b${VERBS}[ \\t]+(?:the[ \\t]+)?((?:[\\p{L}\\p{N}][\\p{L}\\p{N}_-]*[ \\t]+){0,5}?[\\p{L}\\p{N}][\\p{L}\\p{N}_-]*)[ \\t]+${ACTION_WORD}`,
  'giud',
);
/** snake_case (at least one underscore) or camelCase: written as a name, not as prose. */
const IDENTIFIER_LIKE = /^(?:[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+_*|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+)$/;
/** Agentforce `@actions.name` (also inside `{!...}`); names follow the developer-name rule. */
const AGENTFORCE_REFERENCE = /@actions\.([A-Za-z][A-Za-z0-9_]*)/dg;

/** Liquid block comments and inline `{% # ... %}` comments. */
const COMMENT_PATTERNS = [/\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}/g, /\{%-?\s*#[\s\S]*?-?%\}/g];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeClass(text: string): string {
  return text.replace(/[\]\\^-]/g, '\\$&');
}

/** The first participating capture group of a `d`-flag match, with its offset. */
function firstGroup(match: RegExpMatchArray): { text: string; offset: number } | undefined {
  const indices = match.indices;
  for (let i = 1; i < match.length; i++) {
    const text = match[i];
    const span = indices?.[i];
    if (text !== undefined && span !== undefined) return { text, offset: span[0] };
  }
  return undefined;
}

function commentRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const pattern of COMMENT_PATTERNS) {
    for (const match of text.matchAll(pattern)) ranges.push([match.index, match.index + match[0].length]);
  }
  return ranges;
}

function insideAny(offset: number, ranges: readonly [number, number][]): boolean {
  return ranges.some(([begin, end]) => offset >= begin && offset < end);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionOf(starts: readonly number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}

// ---------------------------------------------------------------------------------------------
// Resolution

interface NameIndex {
  names: readonly string[];
  exact: ReadonlySet<string>;
  /** Lower-cased name → first configured name. */
  lower: ReadonlyMap<string, string>;
  /** Label (exact and lower-cased) → action name, for labels that differ from the name. */
  labels: ReadonlyMap<string, string>;
  /** Letters and digits only, lower-cased → name: catches spacing, punctuation and tool-name forms. */
  loose: ReadonlyMap<string, string>;
}

type Resolution =
  | { kind: 'exact' | 'case' | 'label' | 'near'; action: string }
  | { kind: 'unknown'; action?: undefined };

function loose(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

function buildIndex(actions: readonly LintAction[], names: readonly string[]): NameIndex {
  const lower = new Map<string, string>();
  const labels = new Map<string, string>();
  const looseMap = new Map<string, string>();
  for (const name of names) {
    if (!lower.has(name.toLowerCase())) lower.set(name.toLowerCase(), name);
    for (const key of [loose(name), loose(toolNameFor(name))]) {
      if (key && !looseMap.has(key)) looseMap.set(key, name);
    }
  }
  const exact = new Set(names);
  for (const action of actions) {
    const label = action.label;
    if (!label || exact.has(label)) continue;
    if (!labels.has(label)) labels.set(label, action.name);
    if (!labels.has(label.toLowerCase())) labels.set(label.toLowerCase(), action.name);
  }
  return { names, exact, lower, labels, loose: looseMap };
}

function resolve(reference: string, index: NameIndex): Resolution {
  if (index.exact.has(reference)) return { kind: 'exact', action: reference };
  const lowered = reference.toLowerCase();
  const caseMatch = index.lower.get(lowered);
  if (caseMatch !== undefined) return { kind: 'case', action: caseMatch };
  const labelMatch = index.labels.get(reference) ?? index.labels.get(lowered);
  if (labelMatch !== undefined) return { kind: 'label', action: labelMatch };
  const looseMatch = index.loose.get(loose(reference));
  if (looseMatch !== undefined) return { kind: 'near', action: looseMatch };
  const close = closestMatch(reference, index.names);
  if (close !== undefined) return { kind: 'near', action: close };
  return { kind: 'unknown' };
}

/** Lists the configured names when there are few enough to read in one message. */
const MAX_LISTED_NAMES = 10;

function unknownMessage(reference: string, names: readonly string[]): string {
  const base = `unknown action '${reference}': no configured action has this name`;
  if (names.length === 0) return `${base} (no actions are configured)`;
  if (names.length > MAX_LISTED_NAMES) return base;
  return `${base}; configured actions: ${names.map((name) => `'${name}'`).join(', ')}`;
}
