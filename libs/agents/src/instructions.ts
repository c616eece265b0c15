/**
 * Agent instructions (the system prompt) are Liquid templates over the contact and call context:
 *
 * ```liquid
 * {% if contact.contact_status == "vip" %}
 * Always offer to transfer VIP customers to dedicated support immediately.
 * {% endif %}
 * ```
 *
 * Templates are written by tenants, so rendering is locked down: no file system (no `include`,
 * `render` or `layout`), unknown filters are errors (a typo must not silently drop text from a
 * prompt), missing variables render as empty (a contact without a status is normal), data is
 * copied to plain JSON first (no getters or methods reachable from a template), and parse size,
 * render time, allocations and output size are bounded. Dates are deterministic: `'now'` is an
 * input ({@link RenderInstructionsOptions.now}) and the default time zone and locale are fixed
 * instead of following the host.
 */
import { SwitchboardError } from '@switchboard/common/errors';
import { type Context, Liquid, LiquidError, Tag, type TagToken, type TopLevelToken } from 'liquidjs';

/** Limits applied when {@link RenderInstructionsOptions} does not override them. */
export const DEFAULT_INSTRUCTIONS_LIMITS = {
  /** Longest template accepted, in UTF-16 code units (liquidjs `parseLimit`). ~50k tokens. */
  maxTemplateLength: 200_000,
  /** Longest rendered prompt accepted, in UTF-16 code units. */
  maxOutputLength: 500_000,
  /** Wall-clock budget of one render, in milliseconds (liquidjs `renderLimit`). */
  renderTimeoutMs: 500,
  /** Allocation budget of one render, in liquidjs units (~characters/elements; `memoryLimit`). */
  memoryLimit: 10_000_000,
} as const;

/** Why an {@link InstructionsError} was raised. */
export const InstructionsErrorReasons = {
  /** The template does not parse (unclosed tag, unknown tag or filter, disabled tag...). */
  Syntax: 'syntax',
  /** A size, time or allocation limit was exceeded. */
  Limit: 'limit',
  /** Rendering failed for another reason. */
  Render: 'render',
} as const;
/** One of {@link InstructionsErrorReasons}. */
export type InstructionsErrorReason = (typeof InstructionsErrorReasons)[keyof typeof InstructionsErrorReasons];

/**
 * Instructions could not be rendered. Always code `instructions_invalid`, never retryable
 * (the same template fails the same way), located by 1-based `line` and `column` in the
 * template.
 */
export class InstructionsError extends SwitchboardError {
  /** 1-based line of the offending tag or output in the template. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) of the offending tag or output. */
  readonly column: number;
  /** Broad cause, for callers that react differently to a typo and to a runaway template. */
  readonly reason: InstructionsErrorReason;

  constructor(
    message: string,
    position: { line: number; column: number; reason: InstructionsErrorReason },
    cause?: unknown,
  ) {
    super('instructions_invalid', message, {
      retryable: false,
      cause,
      details: { line: position.line, column: position.column, reason: position.reason },
    });
    this.line = position.line;
    this.column = position.column;
    this.reason = position.reason;
  }
}

/** A syntax problem found by {@link checkInstructionsSyntax}. */
export interface InstructionsSyntaxProblem {
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units). */
  column: number;
  /** What is wrong, without the position (that is in `line`/`column`). */
  message: string;
}

/** Variables a template sees; `contact` and `context` by convention, any other name allowed. */
export interface InstructionsVariables {
  /** The contact record (`contact.contact_status`, `contact.first_name`...). */
  contact?: Record<string, unknown>;
  /** The call context (caller number, channel, time of call...). */
  context?: Record<string, unknown>;
  [name: string]: unknown;
}

/** Overrides of {@link DEFAULT_INSTRUCTIONS_LIMITS} and of the date settings. */
export interface RenderInstructionsOptions {
  /** Longest template accepted (code units). */
  maxTemplateLength?: number;
  /** Longest output accepted (code units). */
  maxOutputLength?: number;
  /** Render time budget in milliseconds. */
  renderTimeoutMs?: number;
  /** liquidjs allocation budget. */
  memoryLimit?: number;
  /**
   * The instant `'now'` and `'today'` mean in date filters. Defaults to the clock at render
   * time; pass it to make a render reproducible (tests, replays).
   */
  now?: Date | number;
  /**
   * Time zone of the date filters: an IANA name (`Europe/Paris`) or an offset in minutes as
   * liquidjs takes it (`-120` is UTC+2). Defaults to UTC so output never depends on the host.
   */
  timezone?: string | number;
  /** Locale of month/day names in date filters. Defaults to `en-US`, not the host's locale. */
  locale?: string;
}

/**
 * Renders agent instructions with the given variables.
 *
 * @throws {InstructionsError} on a syntax error, an exceeded limit or any other render failure —
 * never another error type.
 */
export function renderInstructions(
  template: string,
  vars: InstructionsVariables,
  options: RenderInstructionsOptions = {},
): string {
  const maxTemplateLength = options.maxTemplateLength ?? DEFAULT_INSTRUCTIONS_LIMITS.maxTemplateLength;
  const maxOutputLength = options.maxOutputLength ?? DEFAULT_INSTRUCTIONS_LIMITS.maxOutputLength;
  if (typeof template !== 'string') {
    throw new InstructionsError('instructions must be a string', { line: 1, column: 1, reason: 'syntax' });
  }
  if (template.length > maxTemplateLength) {
    throw new InstructionsError(`instructions are longer than ${maxTemplateLength} characters`, {
      line: 1,
      column: 1,
      reason: 'limit',
    });
  }
  const now = options.now === undefined ? Date.now() : Number(options.now);
  let output: unknown;
  try {
    // Inside the try: a bad time zone or locale must surface as an InstructionsError too.
    const engine = engineFor(maxTemplateLength, options.timezone ?? 0, options.locale ?? 'en-US');
    const templates = engine.parse(template);
    output = engine.renderSync(templates, toTemplateScope(vars), {
      renderLimit: options.renderTimeoutMs ?? DEFAULT_INSTRUCTIONS_LIMITS.renderTimeoutMs,
      memoryLimit: options.memoryLimit ?? DEFAULT_INSTRUCTIONS_LIMITS.memoryLimit,
      // A symbol key: templates look variables up by string, so they cannot read or spoof it.
      globals: { [NOW]: now },
    });
  } catch (err) {
    throw toInstructionsError(err);
  }
  const text = typeof output === 'string' ? output : String(output ?? '');
  if (text.length > maxOutputLength) {
    throw new InstructionsError(`rendered instructions are longer than ${maxOutputLength} characters`, {
      line: 1,
      column: 1,
      reason: 'limit',
    });
  }
  return text;
}

/** At most this many problems are reported, so a pathological template stays cheap to check. */
const MAX_SYNTAX_PROBLEMS = 20;

/**
 * Every Liquid syntax problem in a template (empty when it parses). Liquid stops at the first
 * error, so after each one the offending tag is blanked out (newlines kept, so later positions
 * do not move) and the template is parsed again, up to 20 problems.
 */
export function checkInstructionsSyntax(
  template: string,
  options: Pick<RenderInstructionsOptions, 'maxTemplateLength'> = {},
): InstructionsSyntaxProblem[] {
  const maxTemplateLength = options.maxTemplateLength ?? DEFAULT_INSTRUCTIONS_LIMITS.maxTemplateLength;
  if (typeof template !== 'string') return [{ line: 1, column: 1, message: 'instructions must be a string' }];
  if (template.length > maxTemplateLength) {
    return [{ line: 1, column: 1, message: `instructions are longer than ${maxTemplateLength} characters` }];
  }
  const engine = engineFor(maxTemplateLength, 0, 'en-US');
  const problems: InstructionsSyntaxProblem[] = [];
  let text = template;
  while (problems.length < MAX_SYNTAX_PROBLEMS) {
    try {
      engine.parse(text);
      break;
    } catch (err) {
      const error = toInstructionsError(err);
      problems.push({ line: error.line, column: error.column, message: error.message });
      const span = errorSpan(err);
      if (span === undefined || span.end <= span.begin) break;
      const blanked = text.slice(0, span.begin) + text.slice(span.begin, span.end).replace(/[^\n]/g, ' ');
      const next = blanked + text.slice(span.end);
      if (next === text) break;
      text = next;
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Engine

const NOW: unique symbol = Symbol('switchboard.instructions.now');

/** Filters that read the clock for `'now'`/`'today'`; each is wrapped to read {@link NOW} instead. */
const DATE_FILTERS = ['date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string'];

/** Tags that load other templates; instructions are self-contained, so they are parse errors. */
const FILE_TAGS = ['include', 'render', 'layout'];

/**
 * A tag that refuses to parse. Registered over `include`/`render`/`layout`, so a template that
 * tries to load a file fails at parse time with a position, rather than at render time (or,
 * worse, by reading a file).
 */
class FileTagDisabled extends Tag {
  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
    super(token, remainTokens, liquid);
    throw new Error(`tag "${token.name}" is not available: instructions cannot load other templates`);
  }
  render(): void {}
}

const engines = new Map<string, Liquid>();
/** Engines differ only by these settings; a handful exist in practice, the cap is a backstop. */
const MAX_ENGINES = 32;

function engineFor(parseLimit: number, timezone: string | number, locale: string): Liquid {
  const key = `${parseLimit}|${typeof timezone}:${timezone}|${locale}`;
  const cached = engines.get(key);
  if (cached) return cached;
  const engine = new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    // An empty in-memory template map replaces the file system: nothing can ever be loaded.
    templates: {},
    dynamicPartials: false,
    cache: false,
    parseLimit,
    timezoneOffset: timezone,
    locale,
  });
  for (const tag of FILE_TAGS) engine.registerTag(tag, FileTagDisabled);
  for (const name of DATE_FILTERS) {
    const original = engine.filters[name];
    if (typeof original !== 'function') continue;
    engine.registerFilter(name, function (this: { context: Context }, value: unknown, ...args: unknown[]) {
      const now = (this.context.globals as Record<symbol, unknown>)[NOW];
      // liquidjs reads numbers as Unix seconds.
      const input = (value === 'now' || value === 'today') && typeof now === 'number' ? now / 1000 : value;
      return original.call(this as never, input, ...args);
    });
  }
  if (engines.size >= MAX_ENGINES) engines.clear();
  engines.set(key, engine);
  return engine;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** liquidjs appends `, line:N, col:M` (and `, file:F`) to messages; the position is kept separately. */
const POSITION_SUFFIX = /(, file:[^,]*)?, line:\d+, col:\d+$/;

function toInstructionsError(err: unknown): InstructionsError {
  if (err instanceof InstructionsError) return err;
  if (LiquidError.is(err)) {
    const [line = 1, column = 1] = safePosition(err);
    const original = err.originalError;
    if (original !== undefined && isStackOverflow(original)) {
      // Absurd nesting overflows the parser's or renderer's stack: a size problem, not a typo.
      return new InstructionsError(
        `instructions are nested too deeply (${original.message})`,
        { line, column, reason: 'limit' },
        err,
      );
    }
    const raw = original?.message ?? err.message;
    const message = raw.replace(POSITION_SUFFIX, '');
    const reason: InstructionsErrorReason = /limit exceeded/.test(message)
      ? 'limit'
      : err.name === 'RenderError'
        ? 'render'
        : 'syntax';
    return new InstructionsError(message, { line, column, reason }, err);
  }
  // liquidjs checks its render deadline once before the first template too, outside the
  // wrapping that makes a LiquidError: on a loaded machine the deadline can pass there, and the
  // limit arrives as its bare AssertionError ("template render limit exceeded").
  if (err instanceof Error && err.name === 'AssertionError' && /limit exceeded$/.test(err.message)) {
    return new InstructionsError(err.message, { line: 1, column: 1, reason: 'limit' }, err);
  }
  // Not a liquidjs error: a stack overflow on absurd nesting, or a bug. Still typed, so callers
  // handle one error class.
  const message = err instanceof Error ? err.message : String(err);
  const reason: InstructionsErrorReason = isStackOverflow(err) ? 'limit' : 'render';
  return new InstructionsError(`instructions could not be rendered: ${message}`, { line: 1, column: 1, reason }, err);
}

/** V8's "Maximum call stack size exceeded"; other RangeErrors (a bad time zone) are not about size. */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function safePosition(err: LiquidError): number[] {
  try {
    return err.token.getPosition();
  } catch {
    return [1, 1];
  }
}

function errorSpan(err: unknown): { begin: number; end: number } | undefined {
  if (!LiquidError.is(err)) return undefined;
  const { begin, end } = err.token;
  return Number.isInteger(begin) && Number.isInteger(end) ? { begin, end } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Data

/** Deeper structures are cut off: contact records are shallow, and the copy must stay cheap. */
const MAX_DATA_DEPTH = 32;
/**
 * At most this many values are copied; the rest is absent. Shared (non-cyclic) references are
 * copied each time they appear, so without a budget a small DAG could expand exponentially.
 */
const MAX_DATA_VALUES = 200_000;

interface CopyState {
  /** Objects on the current path (cycle detection). */
  path: Set<object>;
  /** Values still allowed. */
  budget: number;
}

function toTemplateScope(vars: InstructionsVariables): Record<string, unknown> {
  const data = toTemplateData(vars ?? {}, 0, { path: new Set(), budget: MAX_DATA_VALUES });
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/**
 * A plain-JSON copy of template data. liquidjs calls functions it finds on a path and
 * `toLiquid()` methods, so arbitrary objects would run code; a copy has no methods, no getters,
 * no cycles, and dates become ISO strings (what the `date` filter reads).
 */
function toTemplateData(value: unknown, depth: number, state: CopyState): unknown {
  if (state.budget <= 0) return undefined;
  state.budget--;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (depth >= MAX_DATA_DEPTH || state.path.has(object)) return undefined;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  state.path.add(object);
  try {
    if (Array.isArray(object)) {
      return object.map((item) => {
        const copy = toTemplateData(item, depth + 1, state);
        return copy === undefined ? null : copy;
      });
    }
    if (object instanceof Map) {
      return copyEntries(
        [...object.entries()].filter(([key]) => typeof key === 'string'),
        depth,
        state,
      );
    }
    return copyEntries(Object.entries(object), depth, state);
  } catch {
    // A throwing getter or proxy trap: the value is unreadable, so it is absent.
    return undefined;
  } finally {
    state.path.delete(object);
  }
}

function copyEntries(entries: [string, unknown][], depth: number, state: CopyState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const copy = toTemplateData(item, depth + 1, state);
    if (copy === undefined) continue;
    // defineProperty, not assignment: a `__proto__` key must become data, not a prototype.
    Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
