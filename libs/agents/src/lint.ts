/**
 * The instruction linter: finds every action reference in agent instructions (see
 * `references.ts` for what counts: quoted, emphasised and bare names, lists of them, bullets
 * under a heading about actions, Agentforce `@actions.name`, the text of Liquid blocks) and
 * checks it against the configured actions. Action names are case-sensitive and must match
 * exactly as configured, and a misspelt reference fails silently at run time (the model just
 * never calls the action), so the linter is the only place such a mistake surfaces.
 */
import { checkInstructionsSyntax } from './instructions.js';
import { scanReferences } from './references.js';
import { buildIndex, type LintAction } from './resolve.js';

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

/**
 * Lints agent instructions against the configured actions: unknown references, case
 * mismatches and near misses (errors, with a suggestion when there is one), configured actions
 * never mentioned (warnings), and Liquid syntax errors. Errors come in text order, then the
 * `unused_action` warnings in configuration order.
 */
export function lintInstructions(instructions: string, actions: readonly LintAction[]): LintIssue[] {
  const index = buildIndex(actions);
  const names = index.names;
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

  for (const ref of scanReferences(instructions, index)) {
    const resolution = ref.resolution;
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
      case 'loose':
      case 'typo':
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

/** Lists the configured names when there are few enough to read in one message. */
const MAX_LISTED_NAMES = 10;

function unknownMessage(reference: string, names: readonly string[]): string {
  const base = `unknown action '${reference}': no configured action has this name`;
  if (names.length === 0) return `${base} (no actions are configured)`;
  if (names.length > MAX_LISTED_NAMES) return base;
  return `${base}; configured actions: ${names.map((name) => `'${name}'`).join(', ')}`;
}
