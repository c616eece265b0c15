import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type CanonicalAction,
  detectActionFormat,
  parseBuiltinAction,
  parseDeclarativeTool,
  parseTypedAction,
  validateBuiltinAction,
  validateDeclarativeTool,
  validateTypedAction,
} from '@switchboard/actions';
import type { ValidationIssue } from '@switchboard/common';
import { ValidationError } from '@switchboard/common/errors';
import { findTooDeep } from './json-depth.js';

/** The kinds of file the CLI reads. */
export const FileKinds = {
  Tool: 'tool',
  Typed: 'typed',
  Builtin: 'builtin',
  Agent: 'agent',
} as const;
export type FileKind = (typeof FileKinds)[keyof typeof FileKinds];

/** A problem located in a file: `file#/pointer: message`. */
export interface FileProblem {
  file: string;
  pointer: string;
  message: string;
}

/** An action definition found in a file (an agent file holds several). */
export interface LoadedAction {
  file: string;
  /** Pointer of the definition inside its file (`''` for a file that is one definition). */
  pointer: string;
  action: CanonicalAction;
}

/** An agent file: instructions plus its actions, inline or as paths relative to the file. */
export interface AgentFile {
  name: string;
  instructions: string;
  actions: LoadedAction[];
}

/**
 * Which kind of file this is: an agent (instructions plus actions) or one action definition in
 * one of the three formats (see `detectActionFormat`).
 */
export function detectKind(doc: unknown): FileKind {
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const d = doc as Record<string, unknown>;
    const schema = typeof d.$schema === 'string' ? d.$schema : '';
    if (schema.includes('agent') || (typeof d.instructions === 'string' && Array.isArray(d.actions))) {
      return FileKinds.Agent;
    }
  }
  return detectActionFormat(doc);
}

const validators: Record<Exclude<FileKind, 'agent'>, (doc: unknown) => ValidationIssue[]> = {
  tool: validateDeclarativeTool,
  typed: validateTypedAction,
  builtin: validateBuiltinAction,
};
const parsers: Record<Exclude<FileKind, 'agent'>, (doc: unknown) => CanonicalAction> = {
  tool: parseDeclarativeTool,
  typed: parseTypedAction,
  builtin: parseBuiltinAction,
};

function issueMessage(i: ValidationIssue): string {
  const parts = [i.message];
  if (i.expected !== undefined && !i.message.includes(i.expected)) {
    parts.push(`expected ${i.expected}${i.found !== undefined ? `, found ${i.found}` : ''}`);
  }
  if (i.suggestion !== undefined && !i.message.includes(i.suggestion)) parts.push(i.suggestion);
  return parts.join(' — ');
}

/**
 * Reads and parses a JSON file, refusing one nested deeper than the CLI's JSON depth limit before
 * any validator (they recurse) sees it.
 */
export function readJson(file: string): { doc?: unknown; problem?: FileProblem } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      problem: {
        file,
        pointer: '',
        message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      },
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { problem: { file, pointer: '', message: `not valid JSON: ${(err as Error).message}` } };
  }
  const tooDeep = findTooDeep(doc);
  if (tooDeep !== undefined) {
    return {
      problem: {
        file,
        pointer: tooDeep.pointer,
        message: `the JSON is nested deeper than ${tooDeep.limit} levels, the limit for definition files`,
      },
    };
  }
  return { doc };
}

/** Validates one file of any kind; every problem is reported, not only the first. */
export function validateFile(file: string): { kind?: FileKind; problems: FileProblem[]; actions: LoadedAction[] } {
  const { doc, problem } = readJson(file);
  if (problem) return { problems: [problem], actions: [] };
  const kind = detectKind(doc);
  if (kind === FileKinds.Agent) {
    const agent = loadAgent(file, doc as Record<string, unknown>);
    return { kind, problems: agent.problems, actions: agent.agent.actions };
  }
  return { kind, ...validateAction(file, '', doc, kind) };
}

/** Validates one action definition found at `pointer` of `file`, and parses it when valid. */
function validateAction(
  file: string,
  pointer: string,
  doc: unknown,
  kind: Exclude<FileKind, 'agent'>,
): { problems: FileProblem[]; actions: LoadedAction[] } {
  const located = (i: ValidationIssue) => ({ file, pointer: `${pointer}${i.pointer}`, message: issueMessage(i) });
  const problems = validators[kind](doc).map(located);
  if (problems.length > 0) return { problems, actions: [] };
  try {
    return { problems, actions: [{ file, pointer, action: parsers[kind](doc) }] };
  } catch (err) {
    if (err instanceof ValidationError) return { problems: err.issues.map(located), actions: [] };
    throw err;
  }
}

/**
 * Reads an agent file, validating each action it holds (inline or referenced by path). An agent
 * holds actions only: another agent, inline or referenced, is a problem (and so a file that
 * refers to itself cannot recurse).
 */
export function loadAgent(file: string, doc: Record<string, unknown>): { agent: AgentFile; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const actions: LoadedAction[] = [];
  const name = typeof doc.name === 'string' ? doc.name : '';
  if (name === '') problems.push({ file, pointer: '/name', message: 'an agent needs a non-empty name' });
  const instructions = typeof doc.instructions === 'string' ? doc.instructions : '';
  if (typeof doc.instructions !== 'string')
    problems.push({ file, pointer: '/instructions', message: 'instructions must be a string' });
  const list = Array.isArray(doc.actions) ? doc.actions : [];
  if (!Array.isArray(doc.actions)) problems.push({ file, pointer: '/actions', message: 'actions must be an array' });
  list.forEach((entry, i) => {
    const at = `/actions/${i}`;
    let found: { file: string; pointer: string; doc: unknown } = { file, pointer: at, doc: entry };
    if (typeof entry === 'string') {
      const path = resolve(dirname(file), entry);
      const read = readJson(path);
      if (read.problem) {
        problems.push(read.problem);
        return;
      }
      found = { file: path, pointer: '', doc: read.doc };
    }
    const kind = detectKind(found.doc);
    if (kind === FileKinds.Agent) {
      problems.push({ file, pointer: at, message: 'an agent cannot contain another agent' });
      return;
    }
    const result = validateAction(found.file, found.pointer, found.doc, kind);
    problems.push(...result.problems);
    actions.push(...result.actions);
  });
  return { agent: { name, instructions, actions }, problems };
}
