/**
 * How a name written in instructions relates to the configured actions: exactly one of them,
 * one of them in another case, a label, a spelling variant, a typo, or nothing.
 */
import { closestMatch } from '@switchboard/actions';
import { toolNameFor } from './tool-names.js';

/** A configured action as the linter needs it. */
export interface LintAction {
  /** The exact, case-sensitive action name. */
  name: string;
  /** Display label, when it differs from the name (references to it are reported). */
  label?: string;
}

/** The configured names, indexed every way a reference can be compared with them. */
export interface NameIndex {
  names: readonly string[];
  exact: ReadonlySet<string>;
  /** Lower-cased name → first configured name. */
  lower: ReadonlyMap<string, string>;
  /** Label (exact and lower-cased) → action name, for labels that differ from the name. */
  labels: ReadonlyMap<string, string>;
  /** Letters and digits only, lower-cased → name: catches spacing, punctuation and tool-name forms. */
  loose: ReadonlyMap<string, string>;
  /**
   * Names and labels by their lower-cased first word, then by length (longest first), then
   * lower-cased: where a bare phrase can start, and what it can be.
   */
  phrases: ReadonlyMap<string, readonly PhraseGroup[]>;
  /** Resolutions already made, by mode and reference (instructions repeat their names). */
  memo: Map<string, Resolution>;
  /** Edit distances still allowed (see {@link TYPO_BUDGET}). */
  typoBudget: number;
}

/**
 * Edit distances one lint may compute. Instructions of 200,000 characters can hold ten
 * thousand distinct names, each close to hundreds of configured ones; past the budget a
 * reference that is none of the configured names in any spelling is reported unknown, without
 * a typo suggestion, instead of taking seconds.
 */
const TYPO_BUDGET = 200_000;

/** The names and labels of one length that start with the same word, by their lower-cased text. */
export interface PhraseGroup {
  length: number;
  byLower: ReadonlyMap<string, readonly { text: string; isLabel: boolean }[]>;
}

/** How a reference resolved. `loose` and `typo` are both near misses, `typo` the less certain. */
export type Resolution =
  | { kind: 'exact' | 'case' | 'label' | 'loose' | 'typo'; action: string }
  | { kind: 'unknown'; action?: undefined };

/** Resolutions no one writes by accident: the reference certainly means that action. */
export const CERTAIN: ReadonlySet<Resolution['kind']> = new Set(['exact', 'case', 'label', 'loose']);

function loose(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** The first word of a phrase, lower-cased (how {@link NameIndex.phrases} is keyed). */
export function firstWord(text: string): string {
  return (/^[\p{L}\p{N}_-]+/u.exec(text)?.[0] ?? '').toLowerCase();
}

/** Indexes the configured actions (plain strings are names without labels). */
export function buildIndex(actions: readonly (string | LintAction)[]): NameIndex {
  const list = actions.map((a) => (typeof a === 'string' ? { name: a } : a));
  const names = [...new Set(list.map((a) => a.name))];
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
  for (const action of list) {
    const label = action.label;
    if (!label || exact.has(label)) continue;
    if (!labels.has(label)) labels.set(label, action.name);
    if (!labels.has(label.toLowerCase())) labels.set(label.toLowerCase(), action.name);
  }
  const grouped = new Map<string, Map<number, Map<string, { text: string; isLabel: boolean }[]>>>();
  const addPhrase = (text: string, isLabel: boolean) => {
    const key = firstWord(text);
    if (key === '') return;
    const byLength = grouped.get(key) ?? new Map<number, Map<string, { text: string; isLabel: boolean }[]>>();
    const byLower = byLength.get(text.length) ?? new Map<string, { text: string; isLabel: boolean }[]>();
    byLower.set(text.toLowerCase(), [...(byLower.get(text.toLowerCase()) ?? []), { text, isLabel }]);
    byLength.set(text.length, byLower);
    grouped.set(key, byLength);
  };
  for (const name of names) addPhrase(name, false);
  for (const label of new Set(list.flatMap((a) => (a.label && !exact.has(a.label) ? [a.label] : [])))) {
    addPhrase(label, true);
  }
  const phrases = new Map<string, PhraseGroup[]>();
  for (const [key, byLength] of grouped) {
    phrases.set(
      key,
      [...byLength.entries()].sort(([a], [b]) => b - a).map(([length, byLower]) => ({ length, byLower })),
    );
  }
  return { names, exact, lower, labels, loose: looseMap, phrases, memo: new Map(), typoBudget: TYPO_BUDGET };
}

/**
 * Resolves a reference. `typos: 'edits'` keeps only the edit-distance guess (no abbreviations
 * or elaborations, which prose that starts with a name would be): for text that may be prose
 * (a bullet's words) rather than a name; `typos: 'none'` makes no guess at all, for text that
 * counts only when it certainly means an action.
 */
export function resolve(
  reference: string,
  index: NameIndex,
  options: { typos?: 'all' | 'edits' | 'none' } = {},
): Resolution {
  const key = `${options.typos ?? 'all'}\u0000${reference}`;
  let resolution = index.memo.get(key);
  if (resolution === undefined) {
    resolution = resolveOnce(reference, index, options.typos ?? 'all');
    index.memo.set(key, resolution);
  }
  return resolution;
}

function resolveOnce(reference: string, index: NameIndex, typos: 'all' | 'edits' | 'none'): Resolution {
  if (index.exact.has(reference)) return { kind: 'exact', action: reference };
  const lowered = reference.toLowerCase();
  const caseMatch = index.lower.get(lowered);
  if (caseMatch !== undefined) return { kind: 'case', action: caseMatch };
  const labelMatch = index.labels.get(reference) ?? index.labels.get(lowered);
  if (labelMatch !== undefined) return { kind: 'label', action: labelMatch };
  const looseMatch = index.loose.get(loose(reference));
  if (looseMatch !== undefined) return { kind: 'loose', action: looseMatch };
  if (typos === 'none') return { kind: 'unknown' };
  // Only names within two edits, or prefixes either way, can be the closest match: the others
  // are left out before the (quadratic) edit distances, which changes no answer.
  const candidates = index.names.filter((name) => {
    const other = name.toLowerCase();
    if (Math.abs(other.length - lowered.length) <= 2) return true;
    return Math.min(other.length, lowered.length) >= 4 && (other.startsWith(lowered) || lowered.startsWith(other));
  });
  if (candidates.length > index.typoBudget) return { kind: 'unknown' };
  index.typoBudget -= candidates.length;
  const close =
    typos === 'edits'
      ? closestMatch(reference, candidates, reference.length >= 6 ? 2 : 1)
      : closestMatch(reference, candidates);
  if (close !== undefined) return { kind: 'typo', action: close };
  return { kind: 'unknown' };
}
