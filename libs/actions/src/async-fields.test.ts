import { describe, expect, it } from 'vitest';
import { deliversLater, toolCallWaitMs } from './async-fields.js';
import { parseBuiltinAction, validateBuiltinAction } from './builtins/catalog.js';
import { validateCanonicalAction } from './canonical.js';
import { parseDeclarativeTool, validateDeclarativeTool } from './declarative.js';
import { parseTypedAction, validateTypedAction } from './typed.js';

const declarative = { name: 'slow_report', description: 'Builds a report', actions: [] };
const typed = { name: 'slow_report', description: 'Builds a report', target: 'webhook://reports' };
const builtin = { type: 'end_call', name: 'Hang Up', description: 'Ends the call' };

describe('async and respond_within_ms', () => {
  it.each([
    ['declarative', parseDeclarativeTool, declarative],
    ['typed', parseTypedAction, typed],
    ['built-in', parseBuiltinAction, builtin],
  ] as const)('a %s action carries them into the canonical model', (_format, parse, doc) => {
    const action = parse({ ...doc, async: true, respond_within_ms: 5000 });
    expect(action.async).toBe(true);
    expect(action.respondWithinMs).toBe(5000);
    expect(validateCanonicalAction(action)).toEqual([]);
    const plain = parse(doc);
    expect(plain.async).toBeUndefined();
    expect(plain.respondWithinMs).toBeUndefined();
  });

  it.each([
    ['declarative', validateDeclarativeTool, declarative],
    ['typed', validateTypedAction, typed],
    ['built-in', validateBuiltinAction, builtin],
  ] as const)('a %s action with wrong values is refused with pointers', (_format, validate, doc) => {
    const issues = validate({ ...doc, async: 'yes', respond_within_ms: 1.5 });
    expect(issues.map((i) => i.pointer).sort()).toEqual(['/async', '/respond_within_ms']);
    expect(validate({ ...doc, respond_within_ms: 300_001 }).map((i) => i.pointer)).toEqual(['/respond_within_ms']);
  });

  it('the canonical check refuses wrong types', () => {
    const action = parseDeclarativeTool(declarative);
    expect(validateCanonicalAction({ ...action, async: 1, respondWithinMs: -1 }).map((i) => i.pointer)).toEqual([
      '/async',
      '/respondWithinMs',
    ]);
  });

  it('a tool call waits 0 for an async action, else the lesser bound', () => {
    expect(toolCallWaitMs({ async: true, respondWithinMs: 9000 }, 30_000)).toBe(0);
    expect(toolCallWaitMs({ respondWithinMs: 2000 }, 30_000)).toBe(2000);
    expect(toolCallWaitMs({ respondWithinMs: 60_000 }, 30_000)).toBe(30_000);
    expect(toolCallWaitMs({}, 30_000)).toBe(30_000);
    expect(deliversLater({})).toBe(false);
    expect(deliversLater({ async: false })).toBe(false);
    expect(deliversLater({ respondWithinMs: 0 })).toBe(true);
    expect(deliversLater({ async: true })).toBe(true);
  });
});
