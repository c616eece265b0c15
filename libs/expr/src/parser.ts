import { type Expression, type Options, parseExpressionAt, tokenizer } from 'acorn';
import { ExpressionError, ExpressionErrorCode } from './errors.js';

/** acorn settings: a classic script (no `import.meta`, no top-level await), ES2022 syntax. */
const ACORN_OPTIONS: Options = {
  ecmaVersion: 2022,
  sourceType: 'script',
  allowHashBang: false,
  allowReserved: true,
  locations: false,
  // Keep parentheses as nodes: the returned node must span the whole source, including the
  // outer parentheses, for the trailing-input check to see where the expression really ends.
  preserveParens: true,
};

/**
 * Parse `source` as exactly one JavaScript expression.
 *
 * Checks, in order: the source length (before any work), the bracket nesting depth (with acorn's
 * iterative tokenizer, so that `((((…))))` is refused before acorn's recursive descent could blow
 * the stack), then the parse itself. Anything but whitespace, comments and one optional `;` after
 * the expression is a syntax error, which rules out statements and `a; b`.
 */
export function parseExpression(source: string, maxSourceLength: number, maxDepth: number): Expression {
  if (typeof source !== 'string') {
    throw new ExpressionError(ExpressionErrorCode.Syntax, 'expression source must be a string');
  }
  if (source.length > maxSourceLength) {
    throw new ExpressionError(
      ExpressionErrorCode.Limit,
      `expression is ${source.length} characters long; the limit is ${maxSourceLength}`,
      { position: maxSourceLength },
    );
  }
  checkBracketDepth(source, maxDepth);
  let ast: Expression;
  try {
    ast = parseExpressionAt(source, 0, ACORN_OPTIONS);
  } catch (err) {
    throw translateParseError(err);
  }
  checkTrailing(source, ast.end);
  return ast;
}

/** Turn an acorn SyntaxError (or a stack overflow inside acorn) into an ExpressionError. */
function translateParseError(err: unknown): ExpressionError {
  if (err instanceof ExpressionError) return err;
  const pos = (err as { pos?: unknown }).pos;
  const raw = err instanceof Error ? err.message : String(err);
  // A stack overflow inside acorn: either raw, or reported by acorn itself as a SyntaxError.
  if (err instanceof RangeError || raw.includes('stack space')) {
    return new ExpressionError(ExpressionErrorCode.Limit, 'expression is nested too deeply', {
      ...(typeof pos === 'number' ? { position: pos } : {}),
      cause: err,
    });
  }
  // acorn appends "(line:column)"; the offset is reported separately, so drop it.
  const message = raw.replace(/ \(\d+:\d+\)$/, '');
  return new ExpressionError(ExpressionErrorCode.Syntax, `syntax error: ${message}`, {
    ...(typeof pos === 'number' ? { position: pos } : {}),
    cause: err,
  });
}

/**
 * Refuse sources whose brackets nest deeper than `maxDepth`. Uses acorn's tokenizer, which is a
 * loop (no recursion), so strings and comments containing brackets are not miscounted. If the
 * tokenizer itself fails we stay silent: the parser reports the real syntax error.
 */
function checkBracketDepth(source: string, maxDepth: number): void {
  let depth = 0;
  try {
    for (const token of tokenizer(source, ACORN_OPTIONS)) {
      const label = token.type.label;
      if (label === '(' || label === '[' || label === '{' || label === '${') {
        depth++;
        if (depth > maxDepth) {
          throw new ExpressionError(
            ExpressionErrorCode.Limit,
            `expression nests brackets deeper than the limit of ${maxDepth}`,
            { position: token.start },
          );
        }
      } else if (label === ')' || label === ']' || label === '}') {
        depth--;
      }
    }
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
  }
}

/** After the expression only whitespace, comments and a single `;` may follow. */
function checkTrailing(source: string, end: number): void {
  if (end >= source.length) return;
  const rest = source.slice(end);
  let sawSemicolon = false;
  try {
    for (const token of tokenizer(rest, ACORN_OPTIONS)) {
      if (token.type.label === ';' && !sawSemicolon) {
        sawSemicolon = true;
        continue;
      }
      throw new ExpressionError(
        ExpressionErrorCode.Syntax,
        'syntax error: unexpected input after the expression (only one expression is allowed)',
        { position: end + token.start },
      );
    }
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    const pos = (err as { pos?: unknown }).pos;
    throw new ExpressionError(
      ExpressionErrorCode.Syntax,
      'syntax error: unexpected input after the expression (only one expression is allowed)',
      { position: typeof pos === 'number' ? end + pos : end, cause: err },
    );
  }
}
