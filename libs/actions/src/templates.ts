/**
 * `{{path}}` templates in messages (`respond.message`, `handoff.message`, `log.message`,
 * `validate.error_message`, the progress message).
 *
 * A placeholder holds one read path (whitespace around it is allowed: `{{ user.id }}`). When
 * rendering, a missing value or `null` becomes the empty string, strings are inserted as-is,
 * numbers and booleans as their JSON text, objects and arrays as compact JSON. There is no
 * escaping and no logic: conditions belong in `conditional` steps, computations in `transform`.
 *
 * One kind of filter exists, for speech: `{{ path | spoken_datetime: TIME_ZONE[, LOCALE] }}`
 * (and `spoken_date`, `spoken_time`), each argument a read path or a quoted literal, e.g.
 * `{{ calcom_booking.start | spoken_datetime: params.time_zone, 'en-US' }}` → "Wednesday,
 * December 9 at 3 PM" (see `spoken.ts`). Only messages rendered here take filters; templates a
 * builtin compiles into request parts (SMS bodies, CRM values) refuse them at validation.
 */

import { isTimeZone } from '@switchboard/common/time-zones';
import { getAtPath, type ParsedPath, parsePath, type ScopeView } from './paths.js';
import { isLocale, type SpokenFilter, SpokenFilters, spokenValue } from './spoken.js';

/** An argument of a filter: a read path, or a quoted literal. */
export type TemplateFilterArg = { kind: 'path'; path: ParsedPath; source: string } | { kind: 'literal'; value: string };

/** A placeholder's filter. */
export interface TemplateFilter {
  name: SpokenFilter;
  args: TemplateFilterArg[];
}

/** A literal run of text or a placeholder of a parsed template. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | {
      kind: 'path';
      path: ParsedPath /** The path as written, trimmed (without the filter). */;
      source: string /** Offset of `{{`. */;
      offset: number;
      /** The filter after `|`, if any. */
      filter?: TemplateFilter;
    };

/** A problem in a template, located by character offset. */
export interface TemplateProblem {
  message: string;
  /** Offset of the offending `{{` in the template text. */
  offset: number;
  /** The path as written, when the problem is about it. */
  path?: string;
  /** A scope name the path is probably aimed at (see `ParsedPath.nearMissScope`). */
  suggestion?: string;
}

/** Splits a template into parts and lists its problems (an empty list means well-formed). */
export function parseTemplate(text: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let cursor = 0;
  let literal = '';
  while (cursor < text.length) {
    let open = text.indexOf('{{', cursor);
    // `{{{x}}}` is a literal brace around a placeholder: the placeholder opens at the last pair.
    while (open >= 0 && text[open + 2] === '{') open += 1;
    if (open < 0) {
      literal += text.slice(cursor);
      break;
    }
    literal += text.slice(cursor, open);
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      problems.push({ message: "unclosed '{{' (expected '}}')", offset: open });
      literal += text.slice(open);
      break;
    }
    const inner = text.slice(open + 2, close).trim();
    const bar = indexOutsideQuotes(inner, '|');
    const source = bar < 0 ? inner : inner.slice(0, bar).trim();
    const filter = bar < 0 ? undefined : parseFilter(inner.slice(bar + 1));
    const parsed =
      source.length === 0 ? ({ ok: false, message: 'placeholder is empty' } as const) : parsePath(source, 'read');
    if (filter !== undefined && 'problem' in filter) {
      problems.push({ message: `invalid filter in '{{${inner}}}': ${filter.problem}`, offset: open, path: source });
      literal += text.slice(open, close + 2);
    } else if (!parsed.ok) {
      problems.push({ message: `invalid placeholder '{{${source}}}': ${parsed.message}`, offset: open, path: source });
      literal += text.slice(open, close + 2);
    } else {
      if (parsed.path.nearMissScope !== undefined) {
        const scope = parsed.path.nearMissScope;
        problems.push({
          message: `placeholder '{{${source}}}' reads context key '${parsed.path.segments[0] ?? ''}' — did you mean the '${scope}' scope? (write 'context.${source}' if the context key is intended)`,
          offset: open,
          path: source,
          suggestion: `{{${scope}${source.slice(source.indexOf('.') < 0 ? source.length : source.indexOf('.'))}}}`,
        });
      }
      if (literal.length > 0) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'path', path: parsed.path, source, offset: open, ...(filter ? { filter } : {}) });
    }
    cursor = close + 2;
  }
  if (literal.length > 0) parts.push({ kind: 'text', text: literal });
  return { parts, problems };
}

/** The problems of a template; empty when it is well-formed. */
export function checkTemplate(text: string): TemplateProblem[] {
  return parseTemplate(text).problems;
}

/** The read paths a template references (filter arguments included), in order of appearance. */
export function templatePaths(text: string): string[] {
  return parseTemplate(text)
    .parts.filter((part): part is Extract<TemplatePart, { kind: 'path' }> => part.kind === 'path')
    .flatMap((part) => [
      part.source,
      ...(part.filter?.args ?? []).flatMap((arg) => (arg.kind === 'path' ? [arg.source] : [])),
    ]);
}

/**
 * Renders a template against the scopes. Malformed placeholders are kept literally (the
 * validators reject them earlier; rendering must still never throw inside a workflow).
 */
export function renderTemplate(text: string, view: ScopeView): string {
  if (!text.includes('{{')) return text;
  let out = '';
  for (const part of parseTemplate(text).parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = getAtPath(view[part.path.scope], part.path.segments);
    const filter = part.filter;
    if (filter === undefined) {
      out += stringifyForTemplate(value);
      continue;
    }
    const args = filter.args.map((arg) =>
      arg.kind === 'literal' ? arg.value : getAtPath(view[arg.path.scope], arg.path.segments),
    );
    // A value the filter cannot say (not a date, an unknown zone) is inserted as without it.
    out += spokenValue(filter.name, value, args[0], args[1]) ?? stringifyForTemplate(value);
  }
  return out;
}

const FILTER_NAMES: ReadonlySet<string> = new Set(Object.values(SpokenFilters));

/** `name[: arg, arg]` after the `|` of a placeholder. */
function parseFilter(text: string): TemplateFilter | { problem: string } {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!FILTER_NAMES.has(name)) {
    return { problem: `unknown filter '${name}' (expected ${[...FILTER_NAMES].join(', ')})` };
  }
  const args: TemplateFilterArg[] = [];
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const pieces = rest.trim() === '' ? [] : splitOutsideQuotes(rest, ',');
  for (const piece of pieces) {
    const arg = piece.trim();
    const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(arg);
    if (quoted) {
      args.push({ kind: 'literal', value: quoted[1] ?? quoted[2] ?? '' });
      continue;
    }
    const parsed = arg === '' ? ({ ok: false, message: 'argument is empty' } as const) : parsePath(arg, 'read');
    if (!parsed.ok) return { problem: `argument '${arg}': ${parsed.message}` };
    args.push({ kind: 'path', path: parsed.path, source: arg });
  }
  if (args.length < 1 || args.length > 2) {
    return {
      problem: `${name} takes the caller's time zone and optionally a locale, e.g. ${name}: params.time_zone, 'en-US'`,
    };
  }
  const [zone, locale] = args;
  if (zone?.kind === 'literal' && !isTimeZone(zone.value)) {
    return { problem: `'${zone.value}' is not an IANA time zone (e.g. America/New_York)` };
  }
  if (locale?.kind === 'literal' && !isLocale(locale.value)) {
    return { problem: `'${locale.value}' is not a locale (e.g. en-US)` };
  }
  return { name: name as SpokenFilter, args };
}

/** Index of `char` outside single or double quotes; -1 when there is none. */
function indexOutsideQuotes(text: string, char: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === char) return i;
  }
  return -1;
}

function splitOutsideQuotes(text: string, char: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  for (let at = indexOutsideQuotes(rest, char); at >= 0; at = indexOutsideQuotes(rest, char)) {
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  pieces.push(rest);
  return pieces;
}

/** How a value is rendered into text: see the module documentation. */
export function stringifyForTemplate(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
