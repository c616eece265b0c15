/**
 * Finds action references in agent instructions, the way people write them (seed 000: "use the
 * 'Transfer to Support' action"; seed 002: `{!@actions.name}`).
 *
 * A *name* is written in one of these ways:
 * - quoted: straight, curly (‘…’ “…”) or back quotes, at most 100 characters on one line;
 *   apostrophes never open or close one (`customer's`, `don't`);
 * - emphasised: markdown `*…*`, `**…**`, `***…***`, `_…_`, `__…__` (around a quoted name too);
 * - bare: an identifier (`log_typed`, `bookAppointment`), or a configured name or label in any case.
 * Names joined by `,`, `and`, `or`, `and/or`, `nor`, `then`, `/` or `&` form a list, and what
 * anchors a list anchors every name in it (`Use 'log_typed', 'confirm_me' and 'slow_one'`).
 *
 * Which names are references depends on what anchors them:
 * - *strongly*, by the word action/tool right after (`'A' and 'B' actions`) or right before
 *   (`the tool 'A'`, `Actions: a, b`), or by being the first thing of a bullet under a heading
 *   about actions ("Available actions:", `## Tools`): every name is a reference, unknown ones too;
 *   a bullet's bare words count when they resolve to a configured action;
 * - by a verb before (`use`, `execute`, `run`, `invoke`, `trigger` and their forms, then
 *   optionally `the`, `either`, `one of`, `these actions`…): quoted names and emphasised
 *   identifiers always; bare or emphasised words when they resolve to a configured action
 *   (bare phrases in another case only with the action word after, as `use the transfer to
 *   support action`) — plain words stay prose (`use the booking action`, `use *only*`);
 * - not at all: only names that are certainly meant (quoted: exactly, in another case, a label
 *   or a spelling variant of a configured name; bare or emphasised: exactly a configured name).
 * Agentforce references `@actions.name` / `{!@actions.name}` are always references.
 *
 * Liquid: tags and comments are not text, but the text inside control blocks (`{% if %}…`) is;
 * `{{ … }}` output is never a reference, and a name containing one is not checked (it is only
 * known when the template renders).
 */
import { maskLiquid, OUTPUT_MASK } from './liquid-mask.js';
import {
  buildIndex,
  CERTAIN,
  firstWord,
  type LintAction,
  type NameIndex,
  type Resolution,
  resolve,
} from './resolve.js';

/** How a reference was written. */
export const ReferenceForms = {
  /** Between quotes of any kind. */
  Quoted: 'quoted',
  /** Between markdown emphasis markers. */
  Emphasis: 'emphasis',
  /** Unquoted words or an identifier (`use the X action`, `log_typed`, a bullet's words). */
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

/** A reference and what it resolved to. */
export interface ResolvedReference extends ActionReference {
  resolution: Resolution;
}

/**
 * Every action reference in the instructions, in text order, judged against `known` (the
 * configured actions, or just their names): see the module comment for what counts.
 */
export function findActionReferences(
  instructions: string,
  known: readonly (string | LintAction)[] = [],
): ActionReference[] {
  return scanReferences(instructions, buildIndex(known)).map(({ resolution: _, ...ref }) => ref);
}

/** {@link findActionReferences} with each reference's resolution. */
export function scanReferences(instructions: string, index: NameIndex): ResolvedReference[] {
  const text = maskLiquid(instructions);
  const found = new Map<number, { name: string; form: ReferenceForm; resolution: Resolution }>();
  const add = (offset: number, name: string, form: ReferenceForm, resolution: Resolution) => {
    if (!found.has(offset)) found.set(offset, { name, form, resolution });
  };
  const bullets = bulletStarts(text);

  for (let p = 0; p < text.length; ) {
    const first = readItem(text, p, index);
    if (first === undefined) {
      p++;
      continue;
    }
    const list = [first];
    let end = first.end;
    for (;;) {
      CONNECTOR.lastIndex = end;
      const connector = CONNECTOR.exec(text);
      if (connector === null) break;
      const next = readItem(text, end + connector[0].length, index);
      if (next === undefined) break;
      list.push(next);
      end = next.end;
    }
    ACTION_AFTER.lastIndex = end;
    const actionAfter = ACTION_AFTER.test(text);
    const before = text.slice(Math.max(0, first.start - 100), first.start);
    const anchors: Anchors = {
      verb: VERB_BEFORE.test(before),
      strong: actionAfter || ACTION_BEFORE.test(before) || bullets.has(first.start),
      actionAfter,
    };
    // Unanchored names count only when certainly meant: no typo guesses for them.
    const typos = anchors.strong || anchors.verb ? 'all' : 'none';
    for (const item of list) {
      if (item.dynamic) continue;
      const resolution = resolve(item.name, index, { typos });
      if (isReference(item, anchors, resolution)) add(item.offset, item.name, FORM_OF[item.kind], resolution);
    }
    p = end;
  }

  // A bullet under a heading about actions whose first words are no name by themselves.
  for (const start of bullets) {
    if (readItem(text, start, index) !== undefined) continue;
    const words = bulletWords(text, start);
    if (words === undefined) continue;
    const resolution = resolve(words, index, { typos: 'edits' });
    if (resolution.kind !== 'unknown') add(start, words, ReferenceForms.Phrase, resolution);
  }

  for (const match of text.matchAll(AGENTFORCE_REFERENCE)) {
    const name = match[1] as string;
    add(match.index + match[0].length - name.length, name, ReferenceForms.Agentforce, resolve(name, index));
  }

  const lines = lineStarts(instructions);
  return [...found.entries()]
    .sort(([a], [b]) => a - b)
    .map(([offset, ref]) => ({ ...ref, offset, ...positionOf(lines, offset) }));
}

// ---------------------------------------------------------------------------------------------
// Names

type ItemKind = 'quoted' | 'emphasis' | 'identifier' | 'phrase';

/** A name as written, before deciding whether it is a reference. */
interface Item {
  kind: ItemKind;
  name: string;
  offset: number;
  /** Offset of the opening quote or marker (the name's offset when bare). */
  start: number;
  /** Offset just past the name's closing quote or marker. */
  end: number;
  /** Holds Liquid output: never checked, but still a name (it ends lists and is not rescanned). */
  dynamic?: boolean;
  /** Phrases: written exactly as a configured name or label. */
  exactCase?: boolean;
  /** Phrases: what was matched is a label, not a name. */
  isLabel?: boolean;
}

const FORM_OF: Record<ItemKind, ReferenceForm> = {
  quoted: ReferenceForms.Quoted,
  emphasis: ReferenceForms.Emphasis,
  identifier: ReferenceForms.Phrase,
  phrase: ReferenceForms.Phrase,
};

interface Anchors {
  /** A verb before the list. */
  verb: boolean;
  /** The action word right before or after the list, or a bullet under a heading about actions. */
  strong: boolean;
  /** The action word right after the list. */
  actionAfter: boolean;
}

/** snake_case (at least one underscore) or camelCase: written as a name, not as prose. */
const IDENTIFIER_LIKE = /^(?:[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+_*|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+)$/;

function isReference(item: Item, anchors: Anchors, resolution: Resolution): boolean {
  const anchored = anchors.strong || anchors.verb;
  switch (item.kind) {
    case 'quoted':
      return anchored || CERTAIN.has(resolution.kind);
    case 'emphasis':
      if (IDENTIFIER_LIKE.test(item.name)) return anchored || CERTAIN.has(resolution.kind);
      if (anchors.strong) return true;
      return anchors.verb ? resolution.kind !== 'unknown' : resolution.kind === 'exact';
    case 'identifier':
      if (anchors.strong) return true;
      return anchors.verb ? resolution.kind !== 'unknown' : resolution.kind === 'exact';
    case 'phrase':
      if (item.exactCase) return item.isLabel ? anchored : true;
      return anchors.actionAfter || anchors.strong;
  }
}

/** A name starting exactly at `p`, if one does. */
function readItem(text: string, p: number, index: NameIndex): Item | undefined {
  return readEmphasis(text, p) ?? readQuoted(text, p) ?? readBare(text, p, index);
}

/** Quote pairs: straight single/double, curly single/double, back quote. */
const CLOSING_QUOTE: Readonly<Record<string, string>> = {
  "'": "'",
  '"': '"',
  '\u2018': '\u2019',
  '\u201C': '\u201D',
  '`': '`',
};

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const WORD_CHAR = /[\p{L}\p{N}_]/u;
/** Names are at most 80 characters; a little more still finds near misses of long ones. */
const MAX_NAME = 100;

function charAt(text: string, i: number): string {
  return i >= 0 && i < text.length ? (text[i] as string) : '';
}

function readQuoted(text: string, p: number): Item | undefined {
  const close = CLOSING_QUOTE[charAt(text, p)];
  const previous = charAt(text, p - 1);
  if (close === undefined || WORD_CHAR.test(previous) || previous === OUTPUT_MASK) return undefined;
  const start = p + 1;
  let q = start;
  while (q < text.length && q - start <= MAX_NAME && text[q] !== close) {
    if (text[q] === '\n' || text[q] === '\r') return undefined;
    q++;
  }
  if (text[q] !== close || q === start || q - start > MAX_NAME) return undefined;
  // A quote followed by a letter is an apostrophe, so this was not a quoted name.
  if (LETTER_OR_DIGIT.test(charAt(text, q + 1))) return undefined;
  const name = text.slice(start, q);
  return { kind: 'quoted', name, offset: start, start: p, end: q + 1, ...dynamicFlag(name) };
}

function readEmphasis(text: string, p: number): Item | undefined {
  const marker = charAt(text, p);
  if (marker !== '*' && marker !== '_') return undefined;
  const previous = charAt(text, p - 1);
  if (previous === marker || WORD_CHAR.test(previous)) return undefined;
  let width = 1;
  while (charAt(text, p + width) === marker && width < 3) width++;
  if (charAt(text, p + width) === marker || (marker === '_' && width > 2)) return undefined;
  const start = p + width;
  const firstInner = charAt(text, start);
  if (firstInner === '' || /\s/.test(firstInner)) return undefined;
  const run = marker.repeat(width);
  const limit = Math.min(text.length, start + MAX_NAME + 1);
  for (let q = start + 1; q < limit; q++) {
    const ch = text[q] as string;
    if (ch === '\n' || ch === '\r') return undefined;
    if (!text.startsWith(run, q) || /\s/.test(charAt(text, q - 1))) continue;
    const after = charAt(text, q + width);
    if (after === marker || (marker === '_' && WORD_CHAR.test(after))) continue;
    const quoted = readQuoted(text, start);
    if (quoted !== undefined && quoted.end === q) return { ...quoted, start: p, end: q + width };
    const name = text.slice(start, q);
    return { kind: 'emphasis', name, offset: start, start: p, end: q + width, ...dynamicFlag(name) };
  }
  return undefined;
}

/** Before a bare name: not inside a word, a path (`contact.x`), an address or a URL. */
const BARE_NOT_AFTER = /[\p{L}\p{N}_.@/\\$#=-]/u;

function bareEndsAt(text: string, end: number): boolean {
  const next = charAt(text, end);
  if (next === '' || next === '@' || next === OUTPUT_MASK || WORD_CHAR.test(next)) return next === '';
  // `name.field`, `name-suffix`: the name goes on.
  return !((next === '.' || next === '-') && WORD_CHAR.test(charAt(text, end + 1)));
}

const IDENTIFIER_AT = /[A-Za-z][A-Za-z0-9_]*/y;

function readBare(text: string, p: number, index: NameIndex): Item | undefined {
  if (!LETTER_OR_DIGIT.test(charAt(text, p))) return undefined;
  const previous = charAt(text, p - 1);
  if (previous === OUTPUT_MASK || BARE_NOT_AFTER.test(previous)) return undefined;
  let identifier: string | undefined;
  IDENTIFIER_AT.lastIndex = p;
  const word = IDENTIFIER_AT.exec(text)?.[0];
  if (word !== undefined && IDENTIFIER_LIKE.test(word) && bareEndsAt(text, p + word.length)) identifier = word;

  let phrase: { text: string; exactCase: boolean; isLabel: boolean } | undefined;
  for (const group of index.phrases.get(firstWord(text.slice(p, p + MAX_NAME))) ?? []) {
    const written = text.slice(p, p + group.length);
    const candidates = group.byLower.get(written.toLowerCase());
    if (candidates === undefined || !bareEndsAt(text, p + written.length)) continue;
    const exact = candidates.find((candidate) => candidate.text === written);
    phrase = { text: written, exactCase: exact !== undefined, isLabel: (exact ?? candidates[0])?.isLabel === true };
    break;
  }
  if (identifier !== undefined && (phrase === undefined || phrase.text.length <= identifier.length)) {
    return { kind: 'identifier', name: identifier, offset: p, start: p, end: p + identifier.length };
  }
  if (phrase === undefined) return undefined;
  return {
    kind: 'phrase',
    name: phrase.text,
    offset: p,
    start: p,
    end: p + phrase.text.length,
    exactCase: phrase.exactCase,
    isLabel: phrase.isLabel,
  };
}

function dynamicFlag(name: string): { dynamic?: true } {
  return name.trim() === '' || name.includes(OUTPUT_MASK) ? { dynamic: true } : {};
}

// ---------------------------------------------------------------------------------------------
// Lists and anchors

/** Between two names of a list (then an optional `the`). */
const CONNECTOR =
  /(?:[ \t]*,[ \t]*(?:(?:and|or)(?:[ \t]+then)?[ \t]+|then[ \t]+)?|[ \t]+(?:and\/or|(?:and|or)(?:[ \t]+(?:then|else|also))?|nor|then)[ \t]+|[ \t]*[/&][ \t]*)(?:the[ \t]+)?/iy;

const VERBS =
  '(?:use|uses|used|using|execute|executes|executing|run|runs|running|invoke|invokes|invoking|trigger|triggers|triggering)';
/** Words between a verb and the names: `use the`, `use either`, `use one of the following actions:`. */
const FILLER = '(?:the|a|an|either|both|only|also|one|any|all|of|these|those|following|actions?|tools?)';
const VERB_BEFORE = new RegExp(`\\b${VERBS}(?:[\\s:]+${FILLER})*[\\s:]+$`, 'i');
/** `the action 'X'`, `tools: a, b`, `an action called 'X'`. */
const ACTION_BEFORE = /(?<![@\w])(?:actions?|tools?)(?:\s+(?:called|named))?(?:\s*:\s*|\s+)$/i;
const ACTION_AFTER = /\s+(?:actions?|tools?)(?![\p{L}\p{N}_])/iuy;

/** Agentforce `@actions.name` (also inside `{!...}`); names follow the developer-name rule. */
const AGENTFORCE_REFERENCE = /@actions\.([A-Za-z][A-Za-z0-9_]*)/g;

/** A line introducing a list of actions: "Available actions:", "Use these tools:", `## Actions`. */
const HEADING = /^\s*(?:#{1,6}\s+[^\n]*|[^\n]*:\s*)$/;
const ACTION_WORD = /\b(?:actions?|tools?)\b/i;
const BULLET = /^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+/;

/**
 * Where the content of each bullet under a heading about actions starts. A heading names
 * actions or tools in at most eight words, quotes nothing (`If the 'X' action fails:` is a
 * condition, not a list of actions), and its list runs until a line that is neither a bullet
 * nor blank.
 */
function bulletStarts(text: string): Set<number> {
  const starts = new Set<number>();
  let active = false;
  let offset = 0;
  for (const line of text.split('\n')) {
    const bullet = BULLET.exec(line);
    if (isHeading(line)) active = true;
    else if (active && bullet) starts.add(offset + bullet[0].length);
    else if (line.trim() !== '') active = false;
    offset += line.length + 1;
  }
  return starts;
}

function isHeading(line: string): boolean {
  return (
    HEADING.test(line) &&
    ACTION_WORD.test(line) &&
    !/['"`\u2018\u201C]/.test(line) &&
    line.trim().split(/\s+/).length <= 8
  );
}

/** A bullet's first words: up to a colon, a dash, a parenthesis or the end of the sentence. */
function bulletWords(text: string, start: number): string | undefined {
  const lineEnd = text.indexOf('\n', start);
  const line = text.slice(start, lineEnd === -1 ? undefined : lineEnd);
  const cut = /\s+[-\u2013\u2014]\s|:|\s\(|[.;,!?](?:\s|$)/.exec(line);
  const words = (cut ? line.slice(0, cut.index) : line).trim();
  if (words === '' || words.length > MAX_NAME || /['"`*_\u2018\u201C]/.test(words) || words.includes(OUTPUT_MASK)) {
    return undefined;
  }
  return words;
}

// ---------------------------------------------------------------------------------------------
// Positions

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
