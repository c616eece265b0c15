/**
 * Compiles a validated acorn AST into a tree of closures (one per node), so that evaluation is a
 * direct call chain with no per-node dispatch. Validation happens in the same walk: every
 * construct outside the language is reported as an issue (with its code and position) instead of
 * being compiled, which keeps `check()` and `compile()` in exact agreement.
 */
import type {
  ArrayExpression,
  ArrowFunctionExpression,
  BinaryExpression,
  CallExpression,
  Expression,
  Identifier,
  Literal,
  LogicalExpression,
  MemberExpression,
  Node,
  ObjectExpression,
  ParenthesizedExpression,
  Pattern,
  PrivateIdentifier,
  SpreadElement,
  Super,
  TemplateLiteral,
  UnaryExpression,
} from 'acorn';
import { getComputed, getProp, hasProperty, lookupMethod } from './access.js';
import { FORBIDDEN_GLOBALS, GLOBALS } from './builtins.js';
import { ExpressionErrorCode, fail } from './errors.js';
import {
  assertStorable,
  Builtin,
  callFunction,
  charge,
  checkArrayLength,
  checkKey,
  codePoints,
  concatStrings,
  describe,
  type Env,
  type Fn,
  FORBIDDEN_PROPERTIES,
  Internal,
  Lambda,
  type LambdaDef,
  looseEquals,
  type ParamBinder,
  type Runtime,
  readOwn,
  SHORT,
  snapshot,
  tick,
  toNum,
  toPrimitive,
  toPropertyKey,
  toStr,
  typeOf,
} from './values.js';

/** One problem found while compiling. */
export interface Issue {
  /** The code `compile` throws for it. */
  code: ExpressionErrorCode;
  /** What is wrong, in one sentence. */
  message: string;
  /** Offset in the source. */
  position: number;
}

/** Binds a destructuring target to a value inside a frame. */
type PatternBinder = (rt: Runtime, env: Env, value: unknown) => void;

/** Stop collecting after this many issues: the first few are what a person reads. */
const MAX_ISSUES = 20;

const NOOP: Fn = () => undefined;

/** Result of {@link compileAst}. */
export interface CompileResult {
  /** The root closure (meaningless when there are issues). */
  fn: Fn;
  /** Problems found, in discovery order. */
  issues: Issue[];
  /** Free identifiers, in order of first use (scope variables and builtins alike). */
  free: string[];
}

/** Compile an expression AST; `source` is used for messages only. */
export function compileAst(ast: Expression, source: string, maxDepth: number): CompileResult {
  const c = new Compiler(source, maxDepth);
  let fn: Fn;
  try {
    fn = c.expr(ast, 0);
  } catch (err) {
    // A stack overflow while compiling (only possible with a very large maxDepth).
    if (!(err instanceof RangeError)) throw err;
    c.issues.push({
      code: ExpressionErrorCode.Limit,
      message: 'expression is nested too deeply',
      position: 0,
    });
    fn = NOOP;
  }
  return { fn, issues: c.issues, free: [...c.free] };
}

class Compiler {
  readonly issues: Issue[] = [];
  readonly free = new Set<string>();
  /** Names bound by the enclosing arrow functions, innermost last (one run-time frame each). */
  private readonly scopes: Map<string, number>[] = [];

  constructor(
    private readonly source: string,
    private readonly maxDepth: number,
  ) {}

  private report(code: ExpressionErrorCode, message: string, node: { start: number }): Fn {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ code, message, position: node.start });
    return NOOP;
  }

  /** Source text of a node, shortened, for messages. */
  private text(node: Node): string {
    const t = this.source.slice(node.start, node.end);
    return t.length > 40 ? `${t.slice(0, 37)}...` : t;
  }

  expr(node: Expression | SpreadElement | Super | PrivateIdentifier, depth: number): Fn {
    if (depth > this.maxDepth) {
      return this.report(ExpressionErrorCode.Limit, `expression nests deeper than the limit of ${this.maxDepth}`, node);
    }
    switch (node.type) {
      case 'Literal':
        return this.literal(node);
      case 'Identifier':
        return this.identifier(node);
      case 'TemplateLiteral':
        return this.template(node, depth);
      case 'ArrayExpression':
        return this.array(node, depth);
      case 'ObjectExpression':
        return this.object(node, depth);
      case 'MemberExpression':
        return this.member(node, depth);
      case 'ChainExpression': {
        const inner = this.expr(node.expression, depth + 1);
        return (rt, env) => {
          const v = inner(rt, env);
          return v === SHORT ? undefined : v;
        };
      }
      case 'CallExpression':
        return this.call(node, depth);
      case 'UnaryExpression':
        return this.unary(node, depth);
      case 'BinaryExpression':
        return this.binary(node, depth);
      case 'LogicalExpression':
        return this.logical(node, depth);
      case 'ConditionalExpression': {
        const test = this.expr(node.test, depth + 1);
        const yes = this.expr(node.consequent, depth + 1);
        const no = this.expr(node.alternate, depth + 1);
        const pos = node.start;
        return (rt, env) => {
          tick(rt, pos);
          return test(rt, env) ? yes(rt, env) : no(rt, env);
        };
      }
      case 'ArrowFunctionExpression':
        return this.arrow(node, depth);
      case 'ParenthesizedExpression':
        return this.expr(node.expression, depth);
      // Deliberately blocked (safety).
      case 'ThisExpression':
        return this.report(ExpressionErrorCode.Forbidden, "'this' is not available in expressions", node);
      case 'Super':
        return this.report(ExpressionErrorCode.Forbidden, "'super' is not available in expressions", node);
      case 'NewExpression':
        return this.report(
          ExpressionErrorCode.Forbidden,
          "'new' is not allowed: expressions cannot construct objects",
          node,
        );
      case 'ImportExpression':
        return this.report(
          ExpressionErrorCode.Forbidden,
          'import() is not allowed: expressions cannot load modules',
          node,
        );
      case 'MetaProperty':
        return this.report(
          ExpressionErrorCode.Forbidden,
          `'${node.meta.name}.${node.property.name}' is not available in expressions`,
          node,
        );
      case 'AssignmentExpression':
        return this.report(
          ExpressionErrorCode.Forbidden,
          `assignment ('${node.operator}') is not allowed: expressions are read-only`,
          node,
        );
      case 'UpdateExpression':
        return this.report(
          ExpressionErrorCode.Forbidden,
          `'${node.operator}' is not allowed: expressions are read-only`,
          node,
        );
      // Not part of the language.
      case 'SequenceExpression':
        this.report(
          ExpressionErrorCode.Unsupported,
          'the comma operator is not supported: write a single expression',
          node,
        );
        // Keep looking inside, so that a hidden assignment is reported as what it is.
        for (const e of node.expressions) this.expr(e, depth + 1);
        return NOOP;
      case 'FunctionExpression':
        return this.report(
          ExpressionErrorCode.Unsupported,
          "'function' expressions are not supported; use an arrow function (x => ...)",
          node,
        );
      case 'ClassExpression':
        return this.report(ExpressionErrorCode.Unsupported, 'classes are not supported', node);
      case 'TaggedTemplateExpression':
        return this.report(ExpressionErrorCode.Unsupported, 'tagged templates are not supported', node);
      case 'AwaitExpression':
      case 'YieldExpression':
        return this.report(
          ExpressionErrorCode.Unsupported,
          `'${node.type === 'AwaitExpression' ? 'await' : 'yield'}' is not supported: expressions are synchronous`,
          node,
        );
      case 'SpreadElement':
        return this.report(ExpressionErrorCode.Unsupported, 'spread (...) is not supported here', node);
      case 'PrivateIdentifier':
        return this.report(ExpressionErrorCode.Unsupported, 'private names (#x) are not supported', node);
      default:
        return this.report(ExpressionErrorCode.Unsupported, `${(node as Node).type} is not supported`, node as Node);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Leaves

  private literal(node: Literal): Fn {
    if (node.regex !== undefined) {
      return this.report(
        ExpressionErrorCode.Unsupported,
        'regular expression literals are not supported; use string methods (includes, startsWith, split, replace)',
        node,
      );
    }
    if (node.bigint !== undefined) {
      return this.report(ExpressionErrorCode.Unsupported, 'BigInt literals are not supported', node);
    }
    const value = node.value;
    const pos = node.start;
    return (rt) => {
      tick(rt, pos);
      return value;
    };
  }

  /** Resolve a parameter: how many frames up (`hops`) and which slot in that frame. */
  private lookup(name: string): { hops: number; slot: number } | undefined {
    const scopes = this.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const slot = scopes[i]?.get(name);
      if (slot !== undefined) return { hops: scopes.length - 1 - i, slot };
    }
    return undefined;
  }

  private identifier(node: Identifier, forTypeof = false): Fn {
    const name = node.name;
    const pos = node.start;
    const bound = this.lookup(name);
    if (bound !== undefined) {
      const { hops, slot } = bound;
      if (hops === 0) {
        return (rt, env) => {
          tick(rt, pos);
          return (env as Env).vars[slot];
        };
      }
      if (hops === 1) {
        return (rt, env) => {
          tick(rt, pos);
          return ((env as Env).parent as Env).vars[slot];
        };
      }
      return (rt, env) => {
        tick(rt, pos);
        let e = env as Env;
        for (let i = 0; i < hops; i++) e = e.parent as Env;
        return e.vars[slot];
      };
    }
    // Constants of the language; arrow parameters may shadow them (handled above), the scope
    // may not: `undefined` must mean undefined.
    if (name === 'undefined' || name === 'NaN' || name === 'Infinity') {
      const value = name === 'NaN' ? Number.NaN : name === 'Infinity' ? Number.POSITIVE_INFINITY : undefined;
      return (rt) => {
        tick(rt, pos);
        return value;
      };
    }
    const refused = FORBIDDEN_GLOBALS.get(name);
    if (refused !== undefined) {
      return this.report(ExpressionErrorCode.Forbidden, `'${name}' is not available: ${refused}`, node);
    }
    this.free.add(name);
    const builtin = GLOBALS.get(name);
    return (rt) => {
      tick(rt, pos);
      return lookupScope(rt, name, builtin, pos, forTypeof);
    };
  }

  private template(node: TemplateLiteral, depth: number): Fn {
    const quasis = node.quasis.map((q) => q.value.cooked ?? q.value.raw);
    const parts = node.expressions.map((e) => this.expr(e, depth + 1));
    const pos = node.start;
    const first = quasis[0] ?? '';
    return (rt, env) => {
      tick(rt, pos);
      let s = first;
      for (let i = 0; i < parts.length; i++) {
        const v = (parts[i] as Fn)(rt, env);
        s = concatStrings(rt, s, typeof v === 'string' ? v : toStr(rt, v, pos), pos);
        s = concatStrings(rt, s, quasis[i + 1] ?? '', pos);
      }
      return s;
    };
  }

  // -------------------------------------------------------------------------------------------
  // Literals with structure

  private array(node: ArrayExpression, depth: number): Fn {
    const pos = node.start;
    const items: { fn: Fn; spread: boolean }[] = node.elements.map((el) => {
      if (el === null) return { fn: constUndefined, spread: false };
      if (el.type === 'SpreadElement') return { fn: this.expr(el.argument, depth + 1), spread: true };
      return { fn: this.expr(el, depth + 1), spread: false };
    });
    const hasSpread = items.some((i) => i.spread);
    if (!hasSpread) {
      const fns = items.map((i) => i.fn);
      const n = fns.length;
      return (rt, env) => {
        tick(rt, pos);
        checkArrayLength(rt, n, pos);
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const v = (fns[i] as Fn)(rt, env);
          assertStorable(v, pos);
          out.push(v);
        }
        return out;
      };
    }
    return (rt, env) => {
      tick(rt, pos);
      const out: unknown[] = [];
      for (const item of items) {
        const v = item.fn(rt, env);
        if (item.spread) {
          spreadInto(rt, out, v, pos);
        } else {
          assertStorable(v, pos);
          checkArrayLength(rt, out.length + 1, pos);
          out.push(v);
        }
      }
      return out;
    };
  }

  /** The static name of a property key, or undefined when it is computed at run time. */
  private staticKey(key: Expression | PrivateIdentifier, computed: boolean): string | undefined {
    if (!computed && key.type === 'Identifier') return key.name;
    if (key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) {
      return String(key.value);
    }
    return undefined;
  }

  private object(node: ObjectExpression, depth: number): Fn {
    const pos = node.start;
    type Part = { spread: Fn } | { key: string | Fn; value: Fn; kpos: number };
    const parts: Part[] = [];
    for (const prop of node.properties) {
      if (prop.type === 'SpreadElement') {
        parts.push({ spread: this.expr(prop.argument, depth + 1) });
        continue;
      }
      if (prop.kind !== 'init' || prop.method) {
        this.report(
          ExpressionErrorCode.Unsupported,
          'getters, setters and methods are not supported in object literals',
          prop,
        );
        continue;
      }
      const name = this.staticKey(prop.key, prop.computed);
      if (name !== undefined && FORBIDDEN_PROPERTIES.has(name)) {
        this.report(ExpressionErrorCode.Forbidden, `'${name}' is not accessible`, prop.key);
        continue;
      }
      const key = name ?? this.expr(prop.key, depth + 1);
      parts.push({ key, value: this.expr(prop.value, depth + 1), kpos: prop.key.start });
    }
    const hasSpread = parts.some((p) => 'spread' in p);
    return (rt, env) => {
      tick(rt, pos);
      const out: Record<string, unknown> = {};
      for (const part of parts) {
        if ('spread' in part) {
          spreadObject(rt, out, part.spread(rt, env), pos);
          continue;
        }
        const key =
          typeof part.key === 'string'
            ? part.key
            : checkKey(toPropertyKey(rt, part.key(rt, env), part.kpos), part.kpos);
        const v = part.value(rt, env);
        assertStorable(v, pos);
        // Safe plain assignment: '__proto__' (the only key with a setter on a fresh object)
        // has been refused above.
        out[key] = v;
      }
      if (hasSpread) checkArrayLength(rt, Object.keys(out).length, pos);
      return out;
    };
  }

  // -------------------------------------------------------------------------------------------
  // Member access and calls

  private member(node: MemberExpression, depth: number): Fn {
    if (node.object.type === 'Super') return this.expr(node.object, depth);
    const obj = this.expr(node.object, depth + 1);
    const pos = node.property.start;
    const optional = node.optional;
    if (node.property.type === 'PrivateIdentifier') return this.expr(node.property, depth);
    const name = this.staticKey(node.property, node.computed);
    if (name !== undefined) {
      if (FORBIDDEN_PROPERTIES.has(name)) {
        return this.report(ExpressionErrorCode.Forbidden, `'${name}' is not accessible`, node.property);
      }
      return (rt, env) => {
        tick(rt, pos);
        const o = obj(rt, env);
        if (o === SHORT) return SHORT;
        if (optional && (o === null || o === undefined)) return SHORT;
        return getProp(o, name, pos);
      };
    }
    const key = this.expr(node.property, depth + 1);
    return (rt, env) => {
      tick(rt, pos);
      const o = obj(rt, env);
      if (o === SHORT) return SHORT;
      if (optional && (o === null || o === undefined)) return SHORT;
      return getComputed(rt, o, key(rt, env), pos);
    };
  }

  /** Compile an argument list into a closure producing the argument array. */
  private args(list: (Expression | SpreadElement)[], depth: number, pos: number): Fn {
    const items = list.map((a) =>
      a.type === 'SpreadElement'
        ? { fn: this.expr(a.argument, depth + 1), spread: true }
        : { fn: this.expr(a, depth + 1), spread: false },
    );
    if (items.some((i) => i.spread)) {
      return (rt, env) => {
        const out: unknown[] = [];
        for (const item of items) {
          const v = item.fn(rt, env);
          if (item.spread) spreadInto(rt, out, v, pos);
          else out.push(v);
        }
        return out;
      };
    }
    const fns = items.map((i) => i.fn);
    switch (fns.length) {
      case 0:
        return () => [];
      case 1: {
        const a = fns[0] as Fn;
        return (rt, env) => [a(rt, env)];
      }
      case 2: {
        const a = fns[0] as Fn;
        const b = fns[1] as Fn;
        return (rt, env) => [a(rt, env), b(rt, env)];
      }
      default:
        return (rt, env) => fns.map((f) => f(rt, env));
    }
  }

  private call(node: CallExpression, depth: number): Fn {
    // `(a.b)(x)` is still a method call in JavaScript.
    const callee = unparen(node.callee);
    const optionalCall = node.optional;
    if (callee.type === 'Super') return this.expr(callee, depth);
    if (
      callee.type === 'MemberExpression' &&
      callee.object.type !== 'Super' &&
      callee.property.type !== 'PrivateIdentifier'
    ) {
      // A method call: the method is resolved in the whitelist by name, never read as a value.
      const obj = this.expr(callee.object, depth + 1);
      const memberOptional = callee.optional;
      const ppos = callee.property.start;
      const name = this.staticKey(callee.property, callee.computed);
      if (name !== undefined && FORBIDDEN_PROPERTIES.has(name)) {
        return this.report(ExpressionErrorCode.Forbidden, `'${name}' is not accessible`, callee.property);
      }
      const key = name === undefined ? this.expr(callee.property, depth + 1) : undefined;
      const args = this.args(node.arguments, depth, node.start);
      return (rt, env) => {
        tick(rt, ppos);
        const recv = obj(rt, env);
        if (recv === SHORT) return SHORT;
        if (memberOptional && (recv === null || recv === undefined)) return SHORT;
        const k = key === undefined ? (name as string) : checkKey(toPropertyKey(rt, key(rt, env), ppos), ppos);
        const m = lookupMethod(recv, k, ppos, optionalCall);
        if (m === SHORT) return SHORT;
        const a = args(rt, env) as unknown[];
        return typeof m === 'function'
          ? (m as (rt: Runtime, pos: number, recv: unknown, args: unknown[]) => unknown)(rt, ppos, recv, a)
          : callFunction(rt, m, a, ppos);
      };
    }
    const fn = this.expr(callee, depth + 1);
    const args = this.args(node.arguments, depth, node.start);
    const pos = node.start;
    const text = this.text(callee);
    return (rt, env) => {
      tick(rt, pos);
      const f = fn(rt, env);
      if (f === SHORT) return SHORT;
      if (optionalCall && (f === null || f === undefined)) return SHORT;
      if (!(f instanceof Lambda) && !(f instanceof Builtin)) notCallable(text, f, pos);
      return callFunction(rt, f, args(rt, env) as unknown[], pos);
    };
  }

  // -------------------------------------------------------------------------------------------
  // Operators

  private unary(node: UnaryExpression, depth: number): Fn {
    const pos = node.start;
    if (node.operator === 'delete') {
      return this.report(ExpressionErrorCode.Forbidden, "'delete' is not allowed: expressions are read-only", node);
    }
    const operand = unparen(node.argument);
    if (node.operator === 'typeof' && operand.type === 'Identifier') {
      // `typeof undeclared` is 'undefined' in JavaScript; keep that idiom working.
      const arg = this.identifier(operand, true);
      return (rt, env) => {
        tick(rt, pos);
        return typeOf(arg(rt, env));
      };
    }
    const arg = this.expr(node.argument, depth + 1);
    switch (node.operator) {
      case '!':
        return (rt, env) => {
          tick(rt, pos);
          return !arg(rt, env);
        };
      case '-':
        return (rt, env) => {
          tick(rt, pos);
          const v = arg(rt, env);
          return typeof v === 'number' ? -v : -toNum(rt, v, pos);
        };
      case '+':
        return (rt, env) => {
          tick(rt, pos);
          return toNum(rt, arg(rt, env), pos);
        };
      case '~':
        return (rt, env) => {
          tick(rt, pos);
          return ~toNum(rt, arg(rt, env), pos);
        };
      case 'typeof':
        return (rt, env) => {
          tick(rt, pos);
          return typeOf(arg(rt, env));
        };
      case 'void':
        return (rt, env) => {
          tick(rt, pos);
          arg(rt, env);
          return undefined;
        };
      default:
        return this.report(ExpressionErrorCode.Unsupported, `operator '${node.operator}' is not supported`, node);
    }
  }

  private binary(node: BinaryExpression, depth: number): Fn {
    const pos = node.start;
    if (node.operator === 'instanceof') {
      return this.report(
        ExpressionErrorCode.Forbidden,
        "'instanceof' is not allowed (it exposes prototypes); use typeof or Array.isArray",
        node,
      );
    }
    if (node.left.type === 'PrivateIdentifier') return this.expr(node.left, depth);
    // Left-associative chains (a + b + c + …) grow on the left; that spine does not count as
    // nesting, so long flat conditions are not mistaken for deep ones.
    const l = this.expr(node.left, depth);
    const r = this.expr(node.right, depth + 1);
    switch (node.operator) {
      case '===':
        return (rt, env) => {
          tick(rt, pos);
          return l(rt, env) === r(rt, env);
        };
      case '!==':
        return (rt, env) => {
          tick(rt, pos);
          return l(rt, env) !== r(rt, env);
        };
      case '==':
        return (rt, env) => {
          tick(rt, pos);
          return looseEquals(rt, l(rt, env), r(rt, env), pos);
        };
      case '!=':
        return (rt, env) => {
          tick(rt, pos);
          return !looseEquals(rt, l(rt, env), r(rt, env), pos);
        };
      case '+':
        return (rt, env) => {
          tick(rt, pos);
          return add(rt, l(rt, env), r(rt, env), pos);
        };
      case '<':
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          const b = r(rt, env);
          if (typeof a === 'number' && typeof b === 'number') return a < b;
          return (toPrimitive(rt, a, pos) as number) < (toPrimitive(rt, b, pos) as number);
        };
      case '<=':
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          const b = r(rt, env);
          if (typeof a === 'number' && typeof b === 'number') return a <= b;
          return (toPrimitive(rt, a, pos) as number) <= (toPrimitive(rt, b, pos) as number);
        };
      case '>':
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          const b = r(rt, env);
          if (typeof a === 'number' && typeof b === 'number') return a > b;
          return (toPrimitive(rt, a, pos) as number) > (toPrimitive(rt, b, pos) as number);
        };
      case '>=':
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          const b = r(rt, env);
          if (typeof a === 'number' && typeof b === 'number') return a >= b;
          return (toPrimitive(rt, a, pos) as number) >= (toPrimitive(rt, b, pos) as number);
        };
      case 'in':
        return (rt, env) => {
          tick(rt, pos);
          const key = l(rt, env);
          return hasProperty(rt, key, r(rt, env), pos);
        };
      default: {
        const op = NUMERIC_OPS[node.operator];
        if (op === undefined) {
          return this.report(ExpressionErrorCode.Unsupported, `operator '${node.operator}' is not supported`, node);
        }
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          const b = r(rt, env);
          return op(typeof a === 'number' ? a : toNum(rt, a, pos), typeof b === 'number' ? b : toNum(rt, b, pos));
        };
      }
    }
  }

  private logical(node: LogicalExpression, depth: number): Fn {
    const pos = node.start;
    const l = this.expr(node.left, depth);
    const r = this.expr(node.right, depth + 1);
    switch (node.operator) {
      case '&&':
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          return a ? r(rt, env) : a;
        };
      case '||':
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          return a ? a : r(rt, env);
        };
      default:
        return (rt, env) => {
          tick(rt, pos);
          const a = l(rt, env);
          return a === null || a === undefined ? r(rt, env) : a;
        };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Arrow functions and destructuring

  private arrow(node: ArrowFunctionExpression, depth: number): Fn {
    if (node.async) {
      return this.report(ExpressionErrorCode.Unsupported, 'async arrow functions are not supported', node);
    }
    let bodyNode: Expression;
    if (node.body.type === 'BlockStatement') {
      const stmts = node.body.body;
      const only = stmts[0];
      if (stmts.length !== 1 || only === undefined || only.type !== 'ReturnStatement' || !only.argument) {
        return this.report(
          ExpressionErrorCode.Unsupported,
          'arrow function bodies must be an expression or a block with a single return statement',
          node.body,
        );
      }
      bodyNode = only.argument;
    } else {
      bodyNode = node.body;
    }
    const names = new Map<string, number>();
    for (const p of node.params) collectNames(p, names);
    this.scopes.push(names);
    let def: LambdaDef;
    try {
      const simple = node.params.every((p) => p.type === 'Identifier');
      const binders: ParamBinder[] = simple ? [] : node.params.map((p, i) => this.param(p, i, depth + 1));
      const body = this.expr(bodyNode, depth + 1);
      def = { pos: node.start, slots: names.size, simple: simple ? node.params.length : -1, binders, body };
    } finally {
      this.scopes.pop();
    }
    const pos = node.start;
    return (rt, env) => {
      tick(rt, pos);
      return new Lambda(def, env);
    };
  }

  private param(p: Pattern, index: number, depth: number): ParamBinder {
    if (p.type === 'RestElement') {
      const bind = this.pattern(p.argument, depth + 1);
      const pos = p.start;
      return (rt, env, args) => {
        const rest = args.slice(index);
        for (const v of rest) assertStorable(v, pos);
        bind(rt, env, rest);
      };
    }
    const bind = this.pattern(p, depth);
    return (rt, env, args) => bind(rt, env, args[index]);
  }

  private pattern(p: Pattern, depth: number): PatternBinder {
    const noop: PatternBinder = () => undefined;
    if (depth > this.maxDepth) {
      this.report(ExpressionErrorCode.Limit, `expression nests deeper than the limit of ${this.maxDepth}`, p);
      return noop;
    }
    const pos = p.start;
    switch (p.type) {
      case 'Identifier': {
        const slot = this.scopes[this.scopes.length - 1]?.get(p.name) as number;
        return (_rt, env, v) => {
          env.vars[slot] = v;
        };
      }
      case 'AssignmentPattern': {
        const left = this.pattern(p.left, depth + 1);
        const fallback = this.expr(p.right, depth + 1);
        return (rt, env, v) => left(rt, env, v === undefined ? fallback(rt, env) : v);
      }
      case 'ArrayPattern': {
        const elements = p.elements.map((el) =>
          el === null
            ? null
            : el.type === 'RestElement'
              ? { rest: true, bind: this.pattern(el.argument, depth + 1) }
              : { rest: false, bind: this.pattern(el, depth + 1) },
        );
        return (rt, env, v) => {
          tick(rt, pos);
          let items: readonly unknown[];
          if (Array.isArray(v)) items = v;
          else if (typeof v === 'string') items = codePoints(rt, v, pos);
          else fail(ExpressionErrorCode.Type, `cannot destructure ${describe(v)} as an array`, pos);
          for (let i = 0; i < elements.length; i++) {
            const el = elements[i];
            if (el === null || el === undefined) continue;
            if (el.rest) {
              const rest = snapshot(rt, items, pos).slice(i);
              el.bind(rt, env, rest);
            } else {
              el.bind(rt, env, i < items.length ? readOwn(items, i, pos) : undefined);
            }
          }
        };
      }
      case 'ObjectPattern': {
        type Prop = { key: string | Fn; kpos: number; bind: PatternBinder } | { rest: PatternBinder };
        const props: Prop[] = [];
        const staticKeys: string[] = [];
        for (const prop of p.properties) {
          if (prop.type === 'RestElement') {
            props.push({ rest: this.pattern(prop.argument, depth + 1) });
            continue;
          }
          const name = this.staticKey(prop.key, prop.computed);
          if (name !== undefined && FORBIDDEN_PROPERTIES.has(name)) {
            this.report(ExpressionErrorCode.Forbidden, `'${name}' is not accessible`, prop.key);
            continue;
          }
          if (name !== undefined) staticKeys.push(name);
          props.push({
            key: name ?? this.expr(prop.key, depth + 1),
            kpos: prop.key.start,
            bind: this.pattern(prop.value, depth + 1),
          });
        }
        return (rt, env, v) => {
          tick(rt, pos);
          if (v === null || v === undefined) {
            fail(ExpressionErrorCode.Type, `cannot destructure ${describe(v)}`, pos);
          }
          const used: string[] = [...staticKeys];
          for (const prop of props) {
            if ('rest' in prop) {
              prop.rest(rt, env, restObject(rt, v, used, pos));
              continue;
            }
            const key =
              typeof prop.key === 'string'
                ? prop.key
                : checkKey(toPropertyKey(rt, prop.key(rt, env), prop.kpos), prop.kpos);
            if (typeof prop.key !== 'string') used.push(key);
            prop.bind(rt, env, getProp(v, key, prop.kpos));
          }
        };
      }
      default:
        this.report(ExpressionErrorCode.Unsupported, `${p.type} is not supported in parameters`, p);
        return noop;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Run-time helpers used by the closures

const constUndefined: Fn = () => undefined;

/** Strip the parentheses acorn keeps (`preserveParens`) around a node. */
function unparen<T extends Node>(node: T): T | Expression {
  let n: Node = node;
  while (n.type === 'ParenthesizedExpression') n = (n as ParenthesizedExpression).expression;
  return n as T | Expression;
}

const NUMERIC_OPS: Partial<Record<string, (a: number, b: number) => number>> = {
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '**': (a, b) => a ** b,
  '&': (a, b) => a & b,
  '|': (a, b) => a | b,
  '^': (a, b) => a ^ b,
  '<<': (a, b) => a << b,
  '>>': (a, b) => a >> b,
  '>>>': (a, b) => a >>> b,
};

/** Collect the names a parameter pattern binds, assigning frame slots in order. */
function collectNames(p: Pattern, names: Map<string, number>): void {
  switch (p.type) {
    case 'Identifier':
      if (!names.has(p.name)) names.set(p.name, names.size);
      return;
    case 'AssignmentPattern':
      collectNames(p.left, names);
      return;
    case 'RestElement':
      collectNames(p.argument, names);
      return;
    case 'ArrayPattern':
      for (const el of p.elements) if (el !== null) collectNames(el, names);
      return;
    case 'ObjectPattern':
      for (const prop of p.properties) collectNames(prop.type === 'RestElement' ? prop.argument : prop.value, names);
      return;
    default:
      return;
  }
}

/** Free identifier at run time: the scope wins, then the builtin whitelist. */
function lookupScope(
  rt: Runtime,
  name: string,
  builtin: Internal | undefined,
  pos: number,
  forTypeof: boolean,
): unknown {
  const scope = rt.scope;
  if (Object.hasOwn(scope, name)) return readOwn(scope, name, pos);
  if (builtin !== undefined) return builtin;
  if (forTypeof) return undefined;
  const hint = suggest(name, [...Object.keys(scope), ...GLOBALS.keys()]);
  return fail(
    ExpressionErrorCode.Reference,
    `unknown identifier '${name}'${hint === undefined ? '' : ` — did you mean '${hint}'?`}`,
    pos,
  );
}

/** The closest candidate within edit distance 2, for "did you mean" hints. */
function suggest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    if (Math.abs(c.length - name.length) >= bestDistance || c.length > 64 || name.length > 64) continue;
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** `a + b` with JavaScript semantics, over hook-free conversions and the string budget. */
function add(rt: Runtime, a: unknown, b: unknown, pos: number): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return concatStrings(rt, a, b, pos);
  const pa = toPrimitive(rt, a, pos);
  const pb = toPrimitive(rt, b, pos);
  if (typeof pa === 'string' || typeof pb === 'string') {
    return concatStrings(rt, toStr(rt, pa, pos), toStr(rt, pb, pos), pos);
  }
  return toNum(rt, pa, pos) + toNum(rt, pb, pos);
}

/** `[...v]` and `f(...v)`: arrays and strings (by code point) only. */
function spreadInto(rt: Runtime, out: unknown[], v: unknown, pos: number): void {
  let items: readonly unknown[];
  if (Array.isArray(v)) items = v;
  else if (typeof v === 'string') items = codePoints(rt, v, pos);
  else fail(ExpressionErrorCode.Type, `${describe(v)} cannot be spread: only arrays and strings can`, pos);
  checkArrayLength(rt, out.length + items.length, pos);
  for (const item of snapshot(rt, items, pos)) out.push(item);
}

/** `{...v}`: own enumerable data properties, keys checked (no '__proto__' can be written). */
function spreadObject(rt: Runtime, out: Record<string, unknown>, v: unknown, pos: number): void {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return;
  if (v instanceof Internal) {
    fail(ExpressionErrorCode.Type, `${describe(v)} cannot be spread into an object`, pos);
  }
  if (typeof v === 'string') {
    checkArrayLength(rt, v.length, pos);
    for (let i = 0; i < v.length; i++) out[i] = v[i];
    return;
  }
  if (typeof v !== 'object') return;
  const keys = Object.keys(v);
  checkArrayLength(rt, keys.length, pos);
  charge(rt, keys.length >>> 4, pos);
  for (const key of keys) out[checkKey(key, pos)] = readOwn(v, key, pos);
}

/** The `...rest` of an object pattern: own data properties not named before it. */
function restObject(rt: Runtime, v: unknown, used: readonly string[], pos: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  spreadObject(rt, out, v, pos);
  for (const key of used) delete out[key];
  return out;
}

function notCallable(text: string, f: unknown, pos: number): never {
  if (f instanceof Internal && 'members' in f) {
    const members = (f as { members: ReadonlyMap<string, unknown> }).members;
    fail(
      ExpressionErrorCode.Type,
      `'${text}' is not a function — available: ${[...members.keys()].map((k) => `${text}.${k}`).join(', ')}`,
      pos,
    );
  }
  fail(ExpressionErrorCode.Type, `'${text}' is not a function (it is ${describe(f)})`, pos);
}
