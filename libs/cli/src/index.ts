import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { exportTools, lintInstructions, type ToolFormat, ToolFormats } from '@switchboard/agents';
import { ExpressionError, evaluate } from '@switchboard/expr';
import { type FileProblem, loadAgent, validateFile } from './definitions.js';

export { detectKind, type FileKind, FileKinds, type FileProblem, loadAgent, validateFile } from './definitions.js';

/** Where the command writes; injected so tests capture output without a subprocess. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
}

const USAGE = `usage:
  switchboard validate FILE...                                 check action, tool and agent files
  switchboard lint-instructions AGENT_FILE                     check action references in instructions
  switchboard export --format openai|anthropic|mcp FILE...     print LLM tool definitions as JSON
  switchboard expr 'EXPRESSION' [--scope '<json>']             evaluate an expression
`;

const line = (p: FileProblem) => `${p.file}#${p.pointer}: ${p.message}\n`;

/** Runs the command; returns the exit code (0 ok, 1 problems found, 2 usage error). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  const abs = (f: string) => resolve(io.cwd, f);
  switch (command) {
    case 'validate': {
      if (rest.length === 0) return usage(io, 'validate needs at least one FILE');
      let bad = 0;
      for (const file of rest) {
        const { problems } = validateFile(abs(file));
        for (const p of problems) io.stdout(line({ ...p, file }));
        bad += problems.length;
      }
      return bad === 0 ? 0 : 1;
    }
    case 'lint-instructions': {
      const [file] = rest;
      if (file === undefined || rest.length !== 1) return usage(io, 'lint-instructions needs exactly one AGENT_FILE');
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(abs(file), 'utf8'));
      } catch (err) {
        io.stdout(line({ file, pointer: '', message: `cannot read the agent file: ${(err as Error).message}` }));
        return 1;
      }
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
        io.stdout(
          line({ file, pointer: '', message: 'an agent file is a JSON object with name, instructions and actions' }),
        );
        return 1;
      }
      const { agent, problems } = loadAgent(abs(file), doc as Record<string, unknown>);
      for (const p of problems) io.stdout(line({ ...p, file: p.file === abs(file) ? file : p.file }));
      const issues = lintInstructions(
        agent.instructions,
        agent.actions.map((a) => ({ name: a.action.name, label: a.action.label })),
      );
      for (const i of issues) {
        io.stdout(`${file}#/instructions: ${i.severity} ${i.code} at ${i.line}:${i.column}: ${i.message}\n`);
      }
      return problems.length > 0 || issues.some((i) => i.severity === 'error') ? 1 : 0;
    }
    case 'export': {
      const at = rest.indexOf('--format');
      const format = at >= 0 ? rest[at + 1] : undefined;
      const files = rest.filter((_, i) => i !== at && i !== at + 1);
      const formats = Object.values(ToolFormats) as string[];
      if (format === undefined || !formats.includes(format))
        return usage(io, `--format must be one of ${formats.join(', ')}`);
      if (files.length === 0) return usage(io, 'export needs at least one FILE');
      const loaded = files.map((f) => ({ f, r: validateFile(abs(f)) }));
      const problems = loaded.flatMap(({ f, r }) => r.problems.map((p) => ({ ...p, file: f })));
      if (problems.length > 0) {
        for (const p of problems) io.stderr(line(p));
        return 1;
      }
      const actions = loaded.flatMap(({ r }) => r.actions.map((a) => a.action));
      const exported = exportTools(actions, format as ToolFormat);
      io.stdout(`${JSON.stringify(exported, null, 2)}\n`);
      return 0;
    }
    case 'expr': {
      const [source, ...flags] = rest;
      if (source === undefined) return usage(io, 'expr needs an EXPRESSION');
      const at = flags.indexOf('--scope');
      let scope: Record<string, unknown> = {};
      if (at >= 0) {
        try {
          scope = JSON.parse(flags[at + 1] ?? '');
        } catch (err) {
          return usage(io, `--scope is not valid JSON: ${(err as Error).message}`);
        }
        if (scope === null || typeof scope !== 'object' || Array.isArray(scope))
          return usage(io, '--scope must be a JSON object');
      }
      try {
        const value = evaluate(source, scope);
        io.stdout(`${value === undefined ? 'null' : JSON.stringify(value)}\n`);
        return 0;
      } catch (err) {
        if (err instanceof ExpressionError) {
          const at2 = err.position === undefined ? '' : ` at ${err.position}`;
          io.stderr(`${err.code}${at2}: ${err.message}\n`);
          return 1;
        }
        throw err;
      }
    }
    case undefined:
    case '--help':
    case 'help':
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      return usage(io, `unknown command '${command}'`);
  }
}

function usage(io: CliIO, problem: string): number {
  io.stderr(`switchboard: ${problem}\n${USAGE}`);
  return 2;
}
