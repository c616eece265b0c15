import { resolve } from 'node:path';
import {
  dropinUrl,
  exportTools,
  lintInstructions,
  RUNTIME_TOOL_FORMATS,
  type RuntimeFormat,
  type ToolFormat,
  ToolFormats,
} from '@switchboard/agents';
import { ExpressionError, ExpressionErrorCode, evaluate } from '@switchboard/expr';
import { type FileProblem, loadAgent, readJson, validateFile } from './definitions.js';
import { describeTooDeep, findTooDeep, printJson } from './json-depth.js';
import { findApiTarget, platformKeyCommand, tenantsCommand } from './tenants.js';

export { detectKind, type FileKind, FileKinds, type FileProblem, loadAgent, validateFile } from './definitions.js';
export { findTooDeep, MAX_JSON_DEPTH, type TooDeep } from './json-depth.js';
export { type ApiTarget, findApiTarget } from './tenants.js';

/** Where the command writes; injected so tests capture output without a subprocess. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  /** Where `tenants` finds the API (`SWITCHBOARD_API_URL`, `SWITCHBOARD_API_KEY`); default: none set. */
  env?: NodeJS.ProcessEnv;
}

const USAGE = `usage:
  switchboard validate FILE...                                 check action, tool and agent files
  switchboard lint-instructions AGENT_FILE                     check action references in instructions
  switchboard export --format openai|anthropic|mcp FILE...     print LLM tool definitions as JSON
  switchboard export --format vapi|retell --base-url URL --agent NAME FILE...
                                                               print voice-runtime tools posting to
                                                               the agent's drop-in endpoint at URL
  switchboard export --format vapi|retell|elevenlabs --url URL FILE...
                                                               ... posting to URL exactly
  switchboard expr 'EXPRESSION' [--scope '<json>']             evaluate an expression
  switchboard tenants create NAME | list | disable TENANT_ID   platform administration (a platform key:
                                                               SWITCHBOARD_API_URL + SWITCHBOARD_API_KEY,
                                                               else .switchboard/dev.json's platformKey)
  switchboard platform-key                                     make a platform key and its hash
                                                               (for PLATFORM_KEY_HASHES)
`;

const line = (p: FileProblem) => `${p.file}#${p.pointer}: ${p.message}\n`;

/** Splits `--flag value` pairs (of the names given) from the other arguments. */
function parseFlags(
  args: readonly string[],
  names: readonly string[],
): { flags: Map<string, string>; files: string[]; problem?: string } {
  const flags = new Map<string, string>();
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!names.includes(arg)) {
      files.push(arg);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) return { flags, files, problem: `${arg} needs a value` };
    flags.set(arg, value);
    i++;
  }
  return { flags, files };
}

/**
 * The URL a runtime format's tools post to: `--url` as given, or the agent's drop-in endpoint
 * under `--base-url` (Vapi, Retell). ElevenLabs has no drop-in endpoint, so it needs `--url`.
 * Undefined for the LLM formats.
 */
function exportUrl(format: ToolFormat, flags: Map<string, string>): string | undefined | { problem: string } {
  if (!RUNTIME_TOOL_FORMATS.includes(format)) return undefined;
  const url = flags.get('--url');
  const checked = (value: string, flag: string) =>
    URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
      ? value
      : { problem: `${flag} must be an http(s) URL` };
  if (url !== undefined) return checked(url, '--url');
  const base = flags.get('--base-url');
  const agent = flags.get('--agent');
  if (base === undefined || agent === undefined) {
    return { problem: `--format ${format} needs --base-url and --agent (or --url)` };
  }
  const base2 = checked(base, '--base-url');
  return typeof base2 === 'string' ? dropinUrl(base2, format as RuntimeFormat, agent) : base2;
}

/** Runs the command; returns the exit code (0 ok, 1 problems found, 2 usage error). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  const abs = (f: string) => resolve(io.cwd, f);
  // A problem in the file given is shown under the name given; one in a file an agent refers
  // to keeps that file's own path, so that its pointer is read in the right file.
  const named = (p: FileProblem, given: string): FileProblem => (p.file === abs(given) ? { ...p, file: given } : p);
  switch (command) {
    case 'validate': {
      if (rest.length === 0) return usage(io, 'validate needs at least one FILE');
      let bad = 0;
      for (const file of rest) {
        const { problems } = validateFile(abs(file));
        for (const p of problems) io.stdout(line(named(p, file)));
        bad += problems.length;
      }
      return bad === 0 ? 0 : 1;
    }
    case 'lint-instructions': {
      const [file] = rest;
      if (file === undefined || rest.length !== 1) return usage(io, 'lint-instructions needs exactly one AGENT_FILE');
      const { doc, problem } = readJson(abs(file));
      if (problem) {
        io.stdout(line({ ...problem, file }));
        return 1;
      }
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
        io.stdout(
          line({ file, pointer: '', message: 'an agent file is a JSON object with name, instructions and actions' }),
        );
        return 1;
      }
      const { agent, problems } = loadAgent(abs(file), doc as Record<string, unknown>);
      for (const p of problems) io.stdout(line(named(p, file)));
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
      const { flags, files, problem } = parseFlags(rest, ['--format', '--url', '--base-url', '--agent']);
      if (problem) return usage(io, problem);
      const format = flags.get('--format');
      const formats = Object.values(ToolFormats) as string[];
      if (format === undefined || !formats.includes(format))
        return usage(io, `--format must be one of ${formats.join(', ')}`);
      if (files.length === 0) return usage(io, 'export needs at least one FILE');
      const runtimeUrl = exportUrl(format as ToolFormat, flags);
      if (typeof runtimeUrl === 'object') return usage(io, runtimeUrl.problem);
      const loaded = files.map((f) => ({ f, r: validateFile(abs(f)) }));
      const problems = loaded.flatMap(({ f, r }) => r.problems.map((p) => named(p, f)));
      if (problems.length > 0) {
        for (const p of problems) io.stderr(line(p));
        return 1;
      }
      const actions = loaded.flatMap(({ r }) => r.actions.map((a) => a.action));
      const exported = exportTools(actions, format as ToolFormat, runtimeUrl === undefined ? {} : { url: runtimeUrl });
      const printed = printJson(exported, 2);
      if ('tooDeep' in printed) {
        io.stderr(`switchboard: the exported tools are ${describeTooDeep(printed.tooDeep)}\n`);
        return 1;
      }
      io.stdout(`${printed.text}\n`);
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
        const tooDeep = findTooDeep(scope);
        if (tooDeep !== undefined) {
          return usage(io, `--scope is ${describeTooDeep(tooDeep)}, the evaluator's nesting limit`);
        }
      }
      try {
        const value = evaluate(source, scope);
        const printed = printJson(value ?? null);
        if ('tooDeep' in printed) {
          // Reported as the evaluator reports its own JSON.stringify of a value this deep.
          io.stderr(`${ExpressionErrorCode.Limit}: the result is ${describeTooDeep(printed.tooDeep)}\n`);
          return 1;
        }
        io.stdout(`${printed.text}\n`);
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
    case 'tenants': {
      const [sub, ...args] = rest;
      if (sub === 'create' && (args.length === 0 || args.join(' ').trim() === ''))
        return usage(io, 'tenants create needs a NAME');
      if (sub === 'list' && args.length > 0) return usage(io, 'tenants list takes no arguments');
      if (sub === 'disable' && args.length !== 1) return usage(io, 'tenants disable needs exactly one TENANT_ID');
      if (sub !== 'create' && sub !== 'list' && sub !== 'disable')
        return usage(io, 'tenants needs create NAME, list or disable TENANT_ID');
      const target = findApiTarget(io.env ?? {}, io.cwd);
      if (typeof target === 'string') {
        io.stderr(`switchboard: ${target}\n`);
        return 2;
      }
      const result = await tenantsCommand(rest, target);
      if (result.stdout) io.stdout(result.stdout);
      if (result.stderr) io.stderr(result.stderr);
      return result.code;
    }
    case 'platform-key': {
      if (rest.length > 0) return usage(io, 'platform-key takes no arguments');
      io.stdout(platformKeyCommand().stdout);
      return 0;
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
