import type { ValidationIssue } from '@switchboard/common';
import { checkJson } from '@switchboard/common/json-limits';
import { parseBuiltinAction, validateBuiltinAction } from './builtins/catalog.js';
import { parseDeclarativeTool, validateDeclarativeTool } from './declarative.js';
import type { CanonicalAction } from './model.js';
import { parseTypedAction, unrunnableTargetIssue, validateTypedAction } from './typed.js';

/** The three surface formats users write actions in. */
export const ActionFormats = {
  Tool: 'tool',
  Typed: 'typed',
  Builtin: 'builtin',
} as const;
export type ActionFormat = (typeof ActionFormats)[keyof typeof ActionFormats];

/**
 * Which format a definition is in. `$schema` decides when present; otherwise the shape does:
 * built-ins have `type` + `config`, typed actions a `target` or `inputs`/`outputs` objects, and
 * the rest are declarative tools (whose validator then reports precisely what is wrong).
 */
export function detectActionFormat(doc: unknown): ActionFormat {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return ActionFormats.Tool;
  const d = doc as Record<string, unknown>;
  const schema = typeof d.$schema === 'string' ? d.$schema : '';
  if (schema.includes('builtin-action')) return ActionFormats.Builtin;
  if (schema.includes('typed-action')) return ActionFormats.Typed;
  if (schema.includes('declarative-tool')) return ActionFormats.Tool;
  if (typeof d.type === 'string' && 'config' in d) return ActionFormats.Builtin;
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if ('target' in d || isObject(d.inputs) || isObject(d.outputs)) return ActionFormats.Typed;
  return ActionFormats.Tool;
}

/**
 * Validates a definition in whichever format it is written; every issue, with pointers. A valid
 * definition is compiled too, and its canonical form held to the JSON limits (`checkJson`):
 * every tool call carries it on the bus, so one nested too deep could never run. A typed
 * action whose target this runtime cannot run (`tool://`, `workflow://`) is refused at
 * `/target` for the same reason ({@link unrunnableTargetIssue}).
 */
export function validateAnyAction(doc: unknown): { format: ActionFormat; issues: ValidationIssue[] } {
  const format = detectActionFormat(doc);
  const validate = { tool: validateDeclarativeTool, typed: validateTypedAction, builtin: validateBuiltinAction }[
    format
  ];
  const issues = validate(doc);
  if (issues.length > 0) return { format, issues };
  const unrunnable = format === ActionFormats.Typed ? unrunnableTargetIssue(doc) : undefined;
  if (unrunnable) return { format, issues: [unrunnable] };
  const [canonical] = checkJson(parseAnyAction(doc).action, { maxIssues: 1 });
  if (canonical) {
    issues.push({
      pointer: '',
      message: `compiles to an action that cannot be carried: at ${canonical.pointer} of its canonical form, it ${canonical.message}`,
      ...(canonical.expected ? { expected: canonical.expected } : {}),
      ...(canonical.found ? { found: canonical.found } : {}),
      suggestion: 'nest its steps and values less deeply',
    });
  }
  return { format, issues };
}

/** Parses a definition in whichever format it is written (throws `ValidationError`). */
export function parseAnyAction(doc: unknown): { format: ActionFormat; action: CanonicalAction } {
  const format = detectActionFormat(doc);
  const parse = { tool: parseDeclarativeTool, typed: parseTypedAction, builtin: parseBuiltinAction }[format];
  return { format, action: parse(doc) };
}
