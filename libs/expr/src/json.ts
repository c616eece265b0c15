/**
 * `JSON.stringify` and `JSON.parse` for expressions, bounded and hook-free.
 *
 * The native `JSON.stringify` would call `toJSON` methods and getters of scope objects (host
 * code) and has no output bound, so serialisation is reimplemented over own data properties.
 * Parsing uses the native parser (it runs no user code and builds plain data) behind an input
 * bound, and the result is then checked against the array and depth limits.
 */
import { ExpressionErrorCode, fail } from './errors.js';
import {
  Builtin,
  charge,
  checkArrayLength,
  checkStringLength,
  Lambda,
  Namespace,
  type Runtime,
  readOwn,
  toInteger,
  toStr,
} from './values.js';

/** `JSON.stringify(value, replacer?, space?)`; a replacer is not supported. */
export function jsonStringify(rt: Runtime, pos: number, args: readonly unknown[]): string | undefined {
  const [value, replacer, space] = args;
  if (replacer !== undefined && replacer !== null) {
    fail(ExpressionErrorCode.Unsupported, 'JSON.stringify: a replacer is not supported', pos);
  }
  let indent = '';
  if (typeof space === 'number') indent = ' '.repeat(Math.min(10, Math.max(0, toInteger(space))));
  else if (typeof space === 'string') indent = space.slice(0, 10);
  const writer = new JsonWriter(rt, pos, indent);
  const out = writer.write(value, 0);
  charge(rt, writer.length >>> 8, pos);
  return out;
}

/**
 * Like `readOwn`, but a host function is omitted (as `JSON.stringify` omits functions) rather
 * than refused: serialising skips it without ever exposing or calling it. Accessors are still
 * refused, since reading them would run host code.
 */
function readData(obj: object, key: string | number, pos: number): unknown {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (d !== undefined && d.get === undefined && d.set === undefined && typeof d.value === 'function') {
    return undefined;
  }
  return readOwn(obj, key, pos);
}

class JsonWriter {
  /** Characters produced so far (an upper bound on the final length). */
  length = 0;
  private nodes = 0;
  private readonly stack: object[] = [];

  constructor(
    private readonly rt: Runtime,
    private readonly pos: number,
    private readonly indent: string,
  ) {}

  /** Serialise one value; `undefined` means "omit" (functions, undefined, symbols). */
  write(v: unknown, depth: number): string | undefined {
    if ((++this.nodes & 15) === 0) charge(this.rt, 1, this.pos);
    switch (typeof v) {
      case 'string': {
        // Check the lower bound first: a huge scope string must not be quoted before refusing.
        this.account(v.length + 2);
        const quoted = JSON.stringify(v);
        this.account(quoted.length - v.length - 2);
        return quoted;
      }
      case 'number':
        return this.emit(Number.isFinite(v) ? String(v) : 'null');
      case 'boolean':
        return this.emit(v ? 'true' : 'false');
      case 'bigint':
        return fail(ExpressionErrorCode.Type, 'JSON.stringify: a bigint cannot be serialized', this.pos);
      case 'object':
        break;
      default:
        return undefined;
    }
    if (v === null) return this.emit('null');
    if (v instanceof Lambda || v instanceof Builtin) return undefined;
    if (v instanceof Namespace) {
      return fail(ExpressionErrorCode.Type, `JSON.stringify: '${v.name}' cannot be serialized`, this.pos);
    }
    if (depth >= this.rt.maxDepth) {
      fail(
        ExpressionErrorCode.Limit,
        `JSON.stringify: value nested deeper than the limit of ${this.rt.maxDepth}`,
        this.pos,
      );
    }
    if (this.stack.includes(v)) {
      fail(ExpressionErrorCode.Type, 'JSON.stringify: the value contains a cycle', this.pos);
    }
    this.stack.push(v);
    const inner = this.indent === '' ? '' : `\n${this.indent.repeat(depth + 1)}`;
    const outer = this.indent === '' ? '' : `\n${this.indent.repeat(depth)}`;
    const parts: string[] = [];
    let open = '[';
    let close = ']';
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        parts.push(this.write(readData(v, i, this.pos), depth + 1) ?? this.emit('null'));
      }
    } else {
      open = '{';
      close = '}';
      const colon = this.indent === '' ? ':' : ': ';
      for (const key of Object.keys(v)) {
        const s = this.write(readData(v, key, this.pos), depth + 1);
        if (s !== undefined) parts.push(this.emit(JSON.stringify(key) + colon) + s);
      }
    }
    this.stack.pop();
    if (parts.length === 0) return this.emit(open + close);
    // The parts are accounted for already; account brackets, separators and indentation before
    // building the string, so that the budget is never overshot.
    this.account(2 + outer.length + parts.length * (inner.length + 1));
    return `${open}${inner}${parts.join(`,${inner}`)}${outer}${close}`;
  }

  /** Account for `s` in the output budget and return it. */
  private emit(s: string): string {
    this.account(s.length);
    return s;
  }

  private account(n: number): void {
    this.length += n;
    checkStringLength(this.rt, this.length, this.pos);
  }
}

/** `JSON.parse(text)`; a reviver is not supported. */
export function jsonParse(rt: Runtime, pos: number, args: readonly unknown[]): unknown {
  const text = toStr(rt, args[0], pos);
  if (args[1] !== undefined) {
    fail(ExpressionErrorCode.Unsupported, 'JSON.parse: a reviver is not supported', pos);
  }
  if (text.length > rt.maxStr) {
    fail(
      ExpressionErrorCode.Limit,
      `JSON.parse: input of ${text.length} characters exceeds the limit of ${rt.maxStr}`,
      pos,
    );
  }
  charge(rt, text.length >>> 8, pos);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (err instanceof RangeError) {
      fail(ExpressionErrorCode.Limit, 'JSON.parse: input nested too deeply', pos);
    }
    const message = err instanceof Error ? err.message : String(err);
    fail(ExpressionErrorCode.Type, `JSON.parse: invalid JSON (${message})`, pos);
  }
  checkParsed(rt, value, pos, 0);
  return value;
}

/** Enforce the array and depth limits on parsed data (it is plain data, read directly). */
function checkParsed(rt: Runtime, v: unknown, pos: number, depth: number): void {
  if (typeof v !== 'object' || v === null) return;
  if (depth >= rt.maxDepth) {
    fail(ExpressionErrorCode.Limit, `JSON.parse: value nested deeper than the limit of ${rt.maxDepth}`, pos);
  }
  if (Array.isArray(v)) {
    checkArrayLength(rt, v.length, pos);
    charge(rt, v.length >>> 4, pos);
    for (const e of v) checkParsed(rt, e, pos, depth + 1);
  } else {
    const values = Object.values(v);
    checkArrayLength(rt, values.length, pos);
    charge(rt, values.length >>> 4, pos);
    for (const e of values) checkParsed(rt, e, pos, depth + 1);
  }
}
