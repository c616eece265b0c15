/**
 * `{{path}}` templates in messages (`respond.message`, `handoff.message`, `log.message`,
 * `validate.error_message`, the progress message).
 *
 * A placeholder holds one read path (whitespace around it is allowed: `{{ user.id }}`). When
 * rendering, a missing value or `null` becomes the empty string, strings are inserted as-is,
 * numbers and booleans as their JSON text, objects and arrays as compact JSON. There is no
 * escaping and no logic: conditions belong in `conditional` steps, computations in `transform`.
 */
import { getAtPath, type ParsedPath, parsePath, type ScopeView } from './paths.js';

/** A literal run of text or a placeholder of a parsed template. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | {
      kind: 'path';
      path: ParsedPath /** The path as written, trimmed. */;
      source: string /** Offset of `{{`. */;
      offset: number;
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
    const source = text.slice(open + 2, close).trim();
    const parsed =
      source.length === 0 ? ({ ok: false, message: 'placeholder is empty' } as const) : parsePath(source, 'read');
    if (!parsed.ok) {
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
      parts.push({ kind: 'path', path: parsed.path, source, offset: open });
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

/** The read paths a template references, in order of appearance. */
export function templatePaths(text: string): string[] {
  return parseTemplate(text)
    .parts.filter((part): part is Extract<TemplatePart, { kind: 'path' }> => part.kind === 'path')
    .map((part) => part.source);
}

/**
 * Renders a template against the scopes. Malformed placeholders are kept literally (the
 * validators reject them earlier; rendering must still never throw inside a workflow).
 */
export function renderTemplate(text: string, view: ScopeView): string {
  if (!text.includes('{{')) return text;
  let out = '';
  for (const part of parseTemplate(text).parts) {
    out +=
      part.kind === 'text' ? part.text : stringifyForTemplate(getAtPath(view[part.path.scope], part.path.segments));
  }
  return out;
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
